import httpx2
import pytest


async def create(
    client: httpx2.AsyncClient, title: str = "Hello", body: str = "First post."
) -> int:
    response = await client.post("/posts", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id


async def test_create_then_read(client: httpx2.AsyncClient) -> None:
    post_id = await create(client, title="  Hello  ")
    response = await client.get(f"/posts/{post_id}")
    assert response.status_code == 200
    post = response.json()
    assert (post["title"], post["body"]) == ("Hello", "First post.")
    assert post["created_at"].endswith(("Z", "+00:00"))


async def test_list_pages_in_id_order(client: httpx2.AsyncClient) -> None:
    ids = [await create(client, title=f"Post {n}") for n in range(5)]
    first = (await client.get("/posts", params={"limit": 3})).json()
    rest = (await client.get("/posts", params={"limit": 3, "offset": 3})).json()
    assert [post["id"] for post in first + rest] == ids


async def test_update_changes_only_given_fields(client: httpx2.AsyncClient) -> None:
    post_id = await create(client)
    response = await client.patch(f"/posts/{post_id}", json={"title": "Renamed"})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["body"]) == ("Renamed", "First post.")
    assert (await client.get(f"/posts/{post_id}")).json()["title"] == "Renamed"


async def test_delete(client: httpx2.AsyncClient) -> None:
    post_id = await create(client)
    response = await client.delete(f"/posts/{post_id}")
    assert (response.status_code, response.content) == (204, b"")
    assert (await client.get(f"/posts/{post_id}")).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/posts/999"),
        ("PATCH", "/posts/999"),
        ("DELETE", "/posts/999"),
        ("GET", "/posts/999/stats"),
    ],
)
async def test_unknown_post_is_404_everywhere(
    client: httpx2.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={} if method == "PATCH" else None)
    assert response.status_code == 404
    assert response.json() == {
        "code": "post_not_found",
        "message": "No post has this id.",
        "details": [],
    }


async def test_validation_errors_are_readable(client: httpx2.AsyncClient) -> None:
    response = await client.post("/posts", json={"title": "", "extra": 1})
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_error"
    fields = {detail["field"] for detail in error["details"]}
    assert fields == {"body.title", "body.body"}


async def test_bad_id_and_page_size_are_422(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/posts/abc")).status_code == 422
    assert (await client.get("/posts", params={"limit": 0})).status_code == 422


async def test_stats_run_in_a_worker_process(client: httpx2.AsyncClient) -> None:
    post_id = await create(client, body="the cat and the hat and the bat")
    response = await client.get(f"/posts/{post_id}/stats")
    assert response.status_code == 200
    stats = response.json()
    assert (stats["words"], stats["unique_words"]) == (8, 5)
    assert stats["top_words"][0] == {"word": "the", "count": 3}


async def test_unknown_path_uses_the_error_schema(client: httpx2.AsyncClient) -> None:
    response = await client.get("/no-such-path")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
