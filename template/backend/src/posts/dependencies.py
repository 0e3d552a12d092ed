"""Dependencies that validate a request against the database and are reused across routes.

FastAPI caches a dependency per request, so chaining them costs one query.
"""

from typing import Annotated

from fastapi import Depends

from src.database import SessionDep
from src.exceptions import raises
from src.posts import service
from src.posts.exceptions import PostNotFoundError
from src.posts.models import Post


@raises(PostNotFoundError)
async def valid_post_id(post_id: int, session: SessionDep) -> Post:
    post = await service.get_post(session, post_id)
    if post is None:
        raise PostNotFoundError
    return post


ValidPost = Annotated[Post, Depends(valid_post_id)]
