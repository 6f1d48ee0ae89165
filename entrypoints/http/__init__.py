"""The Litestar HTTP application shared by the local server and Lambda."""
