"""HTTP routes of the posts module.

Every route is `async def` (its I/O is awaited), returns a model through its
return annotation (serialized straight to JSON by pydantic-core), and documents
its status code, summary, description, tags and every error it can return.
"""

from typing import Annotated

from fastapi import APIRouter, Query, status

from src.concurrency import ProcessPoolDep, run_in_process
from src.database import SessionDep
from src.exceptions import ValidationFailedError, error_responses
from src.posts import service
from src.posts.config import posts_settings
from src.posts.dependencies import ValidPost
from src.posts.exceptions import PostNotFoundError
from src.posts.schemas import PostCreate, PostRead, PostStats, PostUpdate

router = APIRouter(prefix="/posts", tags=["posts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a post",
    description="Stores a new post and returns it with its id and timestamps.",
    responses=error_responses(ValidationFailedError),
)
async def create_post(data: PostCreate, session: SessionDep) -> PostRead:
    post = await service.create_post(session, data)
    return PostRead.model_validate(post)


@router.get(
    "",
    status_code=status.HTTP_200_OK,
    summary="List posts",
    description="Returns posts ordered by id, one page at a time.",
    responses=error_responses(ValidationFailedError),
)
async def list_posts(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=posts_settings.MAX_PAGE_SIZE)] = (
        posts_settings.DEFAULT_PAGE_SIZE
    ),
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PostRead]:
    posts = await service.list_posts(session, limit=limit, offset=offset)
    return [PostRead.model_validate(post) for post in posts]


@router.get(
    "/{post_id}",
    status_code=status.HTTP_200_OK,
    summary="Get a post",
    description="Returns one post by id.",
    responses=error_responses(PostNotFoundError, ValidationFailedError),
)
async def get_post(post: ValidPost) -> PostRead:
    return PostRead.model_validate(post)


@router.patch(
    "/{post_id}",
    status_code=status.HTTP_200_OK,
    summary="Update a post",
    description="Changes the fields present in the body and leaves the others as they are.",
    responses=error_responses(PostNotFoundError, ValidationFailedError),
)
async def update_post(post: ValidPost, data: PostUpdate, session: SessionDep) -> PostRead:
    post = await service.update_post(session, post, data)
    return PostRead.model_validate(post)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a post",
    description="Deletes one post by id.",
    responses=error_responses(PostNotFoundError, ValidationFailedError),
)
async def delete_post(post: ValidPost, session: SessionDep) -> None:
    await service.delete_post(session, post)


@router.get(
    "/{post_id}/stats",
    status_code=status.HTTP_200_OK,
    summary="Text statistics of a post",
    description=(
        "Counts words and finds the most frequent ones. The counting is CPU-bound, "
        "so it runs in a worker process and the event loop keeps serving requests."
    ),
    responses=error_responses(PostNotFoundError, ValidationFailedError),
)
async def post_stats(post: ValidPost, pool: ProcessPoolDep) -> PostStats:
    return await run_in_process(pool, service.text_statistics, post.body)
