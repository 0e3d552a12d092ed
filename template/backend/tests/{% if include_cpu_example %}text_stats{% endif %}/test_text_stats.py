import httpx2

from src.text_stats import service


async def test_counts_words_in_a_worker_process(client: httpx2.AsyncClient) -> None:
    response = await client.post("/text-stats", json={"text": "The cat and the hat and the bat"})
    assert response.status_code == 200
    stats = response.json()
    assert (stats["words"], stats["unique_words"]) == (8, 5)
    assert stats["top_words"][0] == {"word": "the", "count": 3}


def test_apostrophes_stay_inside_words() -> None:
    stats = service.text_statistics("Don't stop, don't")
    assert (stats.words, stats.top_words[0].word) == (3, "don't")


async def test_missing_text_is_422(client: httpx2.AsyncClient) -> None:
    response = await client.post("/text-stats", json={})
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == ["body.text"]
