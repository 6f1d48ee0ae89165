"""Two-factor authentication with an authenticator app (TOTP) and backup codes."""
