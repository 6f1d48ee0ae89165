import pytest

from entrypoints.bootstrap import Services

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_the_composition_root_wires_every_use_case(fake_services: Services) -> None:
    assert fake_services.sign_up is not None
    assert fake_services.settings.environment == "test"
