"""Every route x every role (and anonymous): authentication, authorisation, CSRF."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from staff.roles import Permission, Role, allows
from staff.web.app import ROUTES
from tests.integration.staff.conftest import PERSONAS, ConsoleWorld, csrf_from, open_erasure_request, plan_erasure

ONE_PER_ROLE = {Role.AGENT: "agnese", Role.APPROVER: "andris", Role.ADMIN: "ivars"}


def _paths(world: ConsoleWorld) -> dict[str, str]:
    reference = open_erasure_request(world.app)
    action_id = plan_erasure(world.app, reference)
    return {"{reference}": reference, "{action_id}": action_id, "{username}": "agnese", "{code}": "en"}


def _fill(path: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    return path


def _signed_in(world: ConsoleWorld, username: str) -> TestClient:
    browser = TestClient(world.client.app, base_url="http://testserver")
    return world.sign_in(username, client=browser)


GUARDED = [(m, p, perm) for m, p, perm, _ in ROUTES if perm is not None]


def test_every_guarded_route_sends_an_anonymous_visitor_to_sign_in(console: ConsoleWorld) -> None:
    values = _paths(console)
    for method, path, _ in GUARDED:
        response = console.client.request(method, _fill(path, values), follow_redirects=False)
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/login?next="), (method, path)


def test_every_route_refuses_a_role_without_its_permission(console: ConsoleWorld) -> None:
    values = _paths(console)
    for role, username in ONE_PER_ROLE.items():
        browser = _signed_in(console, username)
        token = csrf_from(browser.get("/").text)
        for method, path, permission in GUARDED:
            if allows(role, permission):
                continue
            response = browser.request(
                method, _fill(path, values), data={"csrf": token} if method == "POST" else None, follow_redirects=False
            )
            assert response.status_code == 403, (role, method, path)


def test_every_page_opens_for_the_roles_allowed_to_see_it(console: ConsoleWorld) -> None:
    values = _paths(console)
    for role, username in ONE_PER_ROLE.items():
        browser = _signed_in(console, username)
        for method, path, permission in GUARDED:
            if method == "GET" and allows(role, permission):
                response = browser.get(_fill(path, values))
                assert response.status_code == 200, (role, path, response.text[:500])


@pytest.mark.parametrize("token", ["", "forged-token"], ids=["without", "with a wrong"])
def test_every_post_is_refused_without_the_session_csrf_token(console: ConsoleWorld, token: str) -> None:
    values = _paths(console)
    for role, username in ONE_PER_ROLE.items():
        browser = _signed_in(console, username)
        for method, path, permission in GUARDED:
            if method != "POST" or not allows(role, permission):
                continue
            data = {"csrf": token, "reason": "x", "password": "a long enough password"} if token else {"reason": "x"}
            response = browser.post(_fill(path, values), data=data, follow_redirects=False)
            assert response.status_code == 403, (role, path)
    # Nothing was done: the action still waits and every account is still active.
    assert console.app.queries.detail(values["{reference}"])["actions"][0]["status"] == "awaiting_approval"
    assert all(person.active for person in console.accounts.everyone())


def test_sign_in_is_refused_without_the_login_csrf_cookie_token(console: ConsoleWorld) -> None:
    response = console.client.post(
        "/login", data={"username": "agnese", "password": "correct horse battery"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "rd_session" not in response.cookies


def test_session_cookie_is_httponly_and_samesite_strict(console: ConsoleWorld) -> None:
    page = console.client.get("/login")
    response = console.client.post(
        "/login",
        data={"username": "agnese", "password": "correct horse battery", "csrf": csrf_from(page.text)},
        follow_redirects=False,
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("rd_session="))
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()


def test_every_persona_has_a_role_in_the_table(console: ConsoleWorld) -> None:
    assert set(PERSONAS.values()) == set(Role)
    assert {perm for _, _, perm in GUARDED} == set(Permission)
