"""A newcomer's first visit in a browser, without dead ends: every page is also
checked by axe-core (tests/e2e/conftest.py) at the width it is opened with."""

import pytest

from members.models import Role
from organising.messaging import services as messaging

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("phone", [True, False], ids=["360px", "1280px"])
def test_a_members_pages_pass_axe_core_at_both_widths(
    live_server, tree, make_member, new_page, login, a11y, phone
):
    secretary = make_member(
        tree.cell_a1x,
        roles=[(tree.cell_a1x, Role.Kind.SECRETARY)],
        display_name="Sonia Secrétaire",
    )
    member = make_member(tree.cell_a1x, display_name="Éric Martin")
    post = messaging.post_create(
        author=secretary,
        body="Bienvenue dans la cellule !",
        audience="unit",
        audience_unit=tree.cell_a1x,
    )
    messaging.post_react(post=post, by=member, kind="fist")
    page = new_page(phone=phone)
    login(page, member)
    for path in (
        "/timeline/",
        f"/posts/{post.pk}/",
        "/units/",
        f"/units/{tree.cell_a1x.slug}/",
        f"/units/{tree.section_a1.slug}/",
        "/me/",
        "/notifications/",
        "/messages/",
    ):
        page.goto(live_server.url + path)
    assert len(a11y.checked) >= 8
