"""The authentication chain: access token -> user id -> current user.

Each link is an `async` dependency that FastAPI runs once per request, however many
dependencies of a route use it. A route behind `CurrentUser` documents 401 (the
conformance test reads the `@raises` below). To require more, add a link that takes
`CurrentUser` and raises its own error (README: "Protecting a route").
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from src.auth import service
from src.auth.exceptions import UnauthorizedError
from src.auth.schemas import UserRead
from src.auth.security import access_token_subject
from src.concurrency import ThreadBudget
from src.database import Db
from src.exceptions import raises

# The /docs Authorize button logs in at /auth/token. auto_error=False: a missing token
# is answered by parse_access_token, in the error schema.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def get_signing_key(request: Request) -> str:
    key: str = request.app.state.settings.SECRET_KEY.get_secret_value()
    return key


async def get_password_budget(request: Request) -> ThreadBudget:
    budget: ThreadBudget = request.state.password_budget
    return budget


SigningKey = Annotated[str, Depends(get_signing_key)]
PasswordBudget = Annotated[ThreadBudget, Depends(get_password_budget)]


@raises(UnauthorizedError)
async def parse_access_token(
    token: Annotated[str | None, Depends(oauth2_scheme)], key: SigningKey
) -> int:
    """The user id of the request's valid access token."""
    user_id = access_token_subject(token, key=key) if token else None
    if user_id is None:
        raise UnauthorizedError
    return user_id


@raises(UnauthorizedError)
async def get_current_user(
    user_id: Annotated[int, Depends(parse_access_token)], db: Db
) -> UserRead:
    """The token's user, who must still exist and be active."""
    user = await service.get_active_user(db, user_id)
    if user is None:
        raise UnauthorizedError
    return user


CurrentUser = Annotated[UserRead, Depends(get_current_user)]
