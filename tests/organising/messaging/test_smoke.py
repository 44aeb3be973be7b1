def test_home_page_renders(people, post_as, client_as):
    post_as(people.alice, "Hello #cell @bob.durand https://example.org")
    client = client_as(people.bob)
    response = client.get("/timeline/")
    assert response.status_code == 200, response.content[:2000]
    assert b"Hello" in response.content
