"""/openapi.json says what the server refuses, and the methods a path takes are all in ``Allow``."""

from __future__ import annotations


async def test_the_oauth_form_fields_and_the_dpop_header_may_not_be_empty(client):
    document = (await client.get("/openapi.json")).json()
    for path in ("/par", "/token", "/introspect", "/revoke"):
        operation = document["paths"][path]["post"]
        schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        for name, field in schema["properties"].items():
            assert "enum" in field or field.get("minLength") == 1, (path, name)
    assert document["paths"]["/introspect"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]["required"] == ["token"]
    dpop = document["paths"]["/token"]["post"]["parameters"][0]
    assert dpop["name"] == "DPoP" and dpop["schema"]["minLength"] == 1


async def test_an_empty_token_is_refused_as_the_document_says(client, db, clock):
    from tests.oauth.factories import add_resource_server

    rs = await add_resource_server(db, clock.now())
    response = await client.post("/introspect", data={"token": ""}, auth=rs.basic)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_options_on_the_maintenance_windows_lists_both_methods(client):
    response = await client.options("/staff/api/maintenance-windows")
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
