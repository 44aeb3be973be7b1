"""The OpenAPI schema says what the API does: which fields may be null, which answers
each operation may give, and the API refuses what the schema does not allow.
(.ci/schemathesis checks the same against a running server.)"""

import pytest

from federation.models import Audience


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def component(schema, name):
    return schema["components"]["schemas"][name]["properties"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("Post", "audience_unit"),
        ("Post", "audience_group"),
        ("Post", "hidden_reason"),
        ("MyEntry", "reverses"),
        ("Entry", "reverses"),
    ],
)
def test_fields_that_can_be_null_are_declared_nullable(schema, name, field):
    assert component(schema, name)[field].get("nullable") is True


def test_every_operation_declares_its_error_answers(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        for code in ("401", "403", "404"):
            assert code in responses, (method, path, code)
        if method in ("post", "put", "patch", "delete"):
            assert "429" in responses, (method, path)
            assert "Retry-After" in responses["429"]["headers"]
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in responses, (method, path)


def test_error_answers_share_two_components(schema):
    responses = schema["paths"]["/api/v1/posts/"]["post"]["responses"]
    body = responses["400"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ValidationError"}
    body = responses["404"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_page_size_is_bounded_in_the_schema(schema):
    (page_size,) = [
        p
        for p in schema["paths"]["/api/v1/timelines/home/"]["get"]["parameters"]
        if p["name"] == "page_size"
    ]
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}


# --- The API refuses what the schema does not allow ----------------------------------


@pytest.mark.parametrize("value", ["null", "", "0", "101", "2.5", "²"])
def test_a_page_size_out_of_the_schema_is_a_400_naming_it(member, api_as, value):
    response = api_as(member).get(f"/api/v1/timelines/home/?page_size={value}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_valid_page_size_is_used(member, api_as):
    assert api_as(member).get("/api/v1/timelines/home/?page_size=5").status_code == 200


def test_every_paged_list_checks_its_page_size(member, api_as):
    response = api_as(member).get("/api/v1/notifications/?page_size=null")
    assert response.status_code == 400


def test_the_unit_level_filter_must_be_a_number(member, api_as):
    response = api_as(member).get("/api/v1/units/?level=null")
    assert response.status_code == 400 and "level" in response.json()
    assert api_as(member).get("/api/v1/units/?level=0").status_code == 200


def test_a_number_is_not_a_post_body(member, api_as):
    response = api_as(member).post(
        "/api/v1/posts/", {"body": 0, "audience": Audience.PARTY}, format="json"
    )
    assert response.status_code == 400 and "body" in response.json()


def test_a_number_is_not_a_token_name(member, api_as):
    response = api_as(member).post("/api/v1/tokens/", {"name": 0}, format="json")
    assert response.status_code == 400 and "name" in response.json()


@pytest.mark.parametrize("value", [0, 1.5, True, ["x"]])
def test_a_profile_field_takes_only_a_string(member, api_as, value):
    response = api_as(member).patch("/api/v1/me/", {"bio": value}, format="json")
    assert response.status_code == 400 and "bio" in response.json()
    ok = api_as(member).patch("/api/v1/me/", {"bio": "0"}, format="json")
    assert ok.status_code == 200


def test_an_id_in_the_address_too_large_for_the_database_is_a_404(member, api_as):
    response = api_as(member).post(f"/api/v1/conversations/{2**105}/read/")
    assert response.status_code == 404 and "detail" in response.json()


def test_an_id_too_large_for_the_database_is_a_400(member, api_as):
    response = api_as(member).post(
        "/api/v1/notifications/read/", {"ids": [2**70]}, format="json"
    )
    assert response.status_code == 400 and "ids" in response.json()


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_addresses_answer_json_404(member, api_as, method):
    client = api_as(member)
    client.enforce_csrf_checks = True
    for address in ("/api/v1/posts/null,null/", "/api/v1/relations/a/%0A0/"):
        response = getattr(client, method)(address)
        assert response.status_code == 404, address
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()
