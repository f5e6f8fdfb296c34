"""Custom auth for sessionctl's real-server tests: every request needs `x-api-key` equal to
SESSIONCTL_TEST_KEY, as a deployment behind a key would."""
import os

from langgraph_sdk import Auth

auth = Auth()


@auth.authenticate
async def authenticate(headers: dict) -> str:
    key = headers.get(b"x-api-key") or headers.get("x-api-key")
    if isinstance(key, bytes):
        key = key.decode()
    if key != os.environ["SESSIONCTL_TEST_KEY"]:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid API key")
    return "sessionctl-test"
