from src.exceptions import NotFoundError


class PostNotFoundError(NotFoundError):
    code = "post_not_found"
    message = "No post has this id."
