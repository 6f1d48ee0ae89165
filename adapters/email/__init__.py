"""Email senders: the console (local default), an in-memory outbox (tests) and AWS SES."""
