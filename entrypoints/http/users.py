"""`/api/v1/users`: the signed-in user and, for admins, everyone."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from msgspec import UNSET

from application.users.change_password import ChangePasswordCommand
from application.users.create_user import CreateUserCommand, NewUser
from application.users.delete_user import DeleteUserCommand
from application.users.get_user import GetUserQuery
from application.users.list_users import MAX_PAGE_SIZE, ListUsersQuery
from application.users.update_user import UpdateUserCommand
from domain.errors import StaleVersionError
from domain.users import Role, User
from entrypoints.http.account import BEARER, SIGNED_IN
from entrypoints.http.dependencies import Client, CurrentUser, ServicesDep
from entrypoints.http.etags import etag_of, version_from_if_match
from entrypoints.http.openapi import BODY, OptionalBodyOperation, problems
from entrypoints.http.schemas import (
    ChangePasswordIn,
    CreateUserIn,
    DeleteUserIn,
    UpdateUserIn,
    UserOut,
    UserPageOut,
    given,
    page_out,
    user_out,
)
from entrypoints.http.validation import checked_email


def with_etag(user: User, status_code: int = 200) -> Response[UserOut]:
    return Response(user_out(user), status_code=status_code, headers={"ETag": etag_of(user)})


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]  # noqa: RUF012
    security = BEARER
    dependencies = SIGNED_IN

    @get("/me", operation_id="getMe", responses=problems(401, 503))
    async def get_me(self, current_user: CurrentUser) -> Response[UserOut]:
        """The signed-in user, with an `ETag` for conditional updates."""
        return with_etag(current_user)

    @post(
        "/me/password",
        operation_id="changePassword",
        status_code=204,
        responses=problems(*BODY, 401, 429, 503),
    )
    async def change_password(
        self,
        data: JSONBody[ChangePasswordIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
    ) -> None:
        """Replace the password. Every session of the user ends and every access token
        issued before stops working (sign in again). With two-factor on, `code` is
        required too (422 without it). 401 if the current password or the code is wrong;
        429 with `Retry-After` after repeated failures (shared with every re-authentication)."""
        command = ChangePasswordCommand(
            current_user, data.current_password, data.new_password, client, given(data.code)
        )
        await services.change_password.execute(command)

    @get("/", operation_id="listUsers", responses=problems(400, 401, 403, 422, 503))
    async def list_users(
        self,
        current_user: CurrentUser,
        services: ServicesDep,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> UserPageOut:
        """Admins only: users in creation order, `limit` per page, `next_cursor` for more."""
        page = await services.list_users.execute(ListUsersQuery(current_user, limit, cursor))
        return page_out(page)

    @post(
        "/",
        operation_id="createUser",
        status_code=201,
        responses=problems(*BODY, 401, 403, 409, 503),
    )
    async def create_user(
        self,
        data: JSONBody[CreateUserIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
    ) -> Response[UserOut]:
        """Admins only: create an account with any role; a verification link is emailed."""
        new = NewUser(checked_email(data.email), data.password, data.name, Role(data.role))
        user = await services.create_user.execute(CreateUserCommand(current_user, new, client))
        response = with_etag(user, status_code=201)
        response.headers["Location"] = f"{self.path}/{user.id}"
        return response

    @get("/{user_id:str}", operation_id="getUser", responses=problems(400, 401, 404, 422, 503))
    async def get_user(
        self, user_id: FromPath[str], current_user: CurrentUser, services: ServicesDep
    ) -> Response[UserOut]:
        """Yourself, or anyone if you are an admin; 404 otherwise."""
        return with_etag(await services.get_user.execute(GetUserQuery(current_user, user_id)))

    @patch(
        "/{user_id:str}",
        operation_id="updateUser",
        responses=problems(*BODY, 401, 403, 404, 409, 412, 428, 429, 503),
    )
    async def update_user(
        self,
        user_id: FromPath[str],
        data: JSONBody[UpdateUserIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
    ) -> Response[UserOut]:
        """Change `name`, `email` or (admins only) `role`. Send the `ETag` you read as
        `If-Match`: 428 without it, 412 if the user changed meanwhile. Changing your own
        email needs `current_password`, and `code` when two-factor is on (422 without,
        401 if wrong, 429 after repeated failures); the new address is unverified until
        its link is followed, and the old one is told (429 when either address has had
        too many emails lately). A role change ends every session of that user."""
        if not if_match:
            raise HTTPException(status_code=428, detail="Send the user's ETag in If-Match.")
        version = version_from_if_match(if_match, user_id)
        if version is None:
            raise StaleVersionError
        command = UpdateUserCommand(
            actor=current_user,
            user_id=user_id,
            expected_version=version,
            name=None if data.name is UNSET else data.name,
            email=None if data.email is UNSET else checked_email(data.email),
            role=None if data.role is UNSET else Role(data.role),
            current_password=given(data.current_password),
            code=given(data.code),
            client=client,
        )
        return with_etag(await services.update_user.execute(command))

    @delete(
        "/{user_id:str}",
        operation_id="deleteUser",
        operation_class=OptionalBodyOperation,
        status_code=204,
        responses=problems(*BODY, 401, 404, 409, 429, 503),
    )
    async def delete_user(
        self,
        user_id: FromPath[str],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
        data: JSONBody[DeleteUserIn | None] = None,
    ) -> None:
        """Delete yourself, or anyone if you are an admin; their sessions end and their
        tokens stop working. Deleting your own account needs `current_password`, and
        `code` when two-factor is on (422 without, 401 if wrong, 429 after repeated
        failures); an admin deleting someone else sends no body."""
        command = DeleteUserCommand(
            current_user,
            user_id,
            client,
            current_password=given(data.current_password) if data else None,
            code=given(data.code) if data else None,
        )
        await services.delete_user.execute(command)
