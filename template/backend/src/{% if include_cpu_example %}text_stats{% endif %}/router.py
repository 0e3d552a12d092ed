"""An example of CPU-bound work done right: off the event loop, in a worker process.

Counting words in a long text holds the CPU (and the GIL) for a while: inline in an
`async def` it would stall every other request, in a `def` route it would still
compete for the GIL. run_in_process hands it to the lifespan's process pool.
"""

from fastapi import APIRouter, status

from src.concurrency import PROCESS_POOL_ERRORS, ProcessPoolDep, run_in_process
from src.exceptions import ValidationFailedError, error_responses
from src.text_stats import service
from src.text_stats.schemas import Text, TextStats

router = APIRouter(prefix="/text-stats", tags=["text statistics"])


@router.post(
    "",
    status_code=status.HTTP_200_OK,
    summary="Text statistics",
    description=(
        "Counts the words of a text and finds the most frequent ones. The counting is "
        "CPU-bound, so it runs in a worker process and the event loop keeps serving requests."
    ),
    responses=error_responses(ValidationFailedError, *PROCESS_POOL_ERRORS),
)
async def text_stats(body: Text, pool: ProcessPoolDep) -> TextStats:
    return await run_in_process(pool, service.text_statistics, body.text)
