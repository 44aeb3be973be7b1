"""Display names cannot reorder or hide text, pile up marks, or pass for an officer
of the member's units; hashtags are one tag however they are typed."""

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import Role
from members.names import display_name_clean, name_skeleton
from organising.messaging import services as messaging
from organising.messaging.models import Hashtag

REFUSED = [
    "Alice\u202eecilA",  # right-to-left override
    "Bob\u2066Durand\u2069",  # isolates
    "Ca\u200brol",  # zero-width space
    "Da\u200dn",  # zero-width joiner
    "E\u00adrin",  # soft hyphen (a format character)
    "Zalgo" + "\u0301\u0302\u0303" * 50,
    "Nul\x00Byte",
]


@pytest.mark.parametrize("name", REFUSED)
def test_names_with_invisible_or_piled_characters_are_refused(name):
    with pytest.raises(ValidationError) as error:
        display_name_clean(name)
    assert "display_name" in error.value.message_dict


@pytest.mark.parametrize(
    "name", ["Émilie Dupont-Martin", "Nguyễn Thị Minh Khai", "Zoë  O’Brien", "李小龍"]
)
def test_ordinary_names_are_kept(name):
    assert display_name_clean(name) == " ".join(name.split())


def test_names_are_composed():
    assert display_name_clean("E\u0301milie") == "Émilie"


def test_skeleton_folds_case_width_and_lookalikes():
    officer = name_skeleton("Sophie Martin")
    assert name_skeleton("SOPHIE MARTIN") == officer
    assert name_skeleton("Ｓophie Ｍartin") == officer  # full width
    assert name_skeleton("Sоphie Mаrtin") == officer  # Cyrillic о and а
    assert name_skeleton("S0phie Martin") == officer


@pytest.fixture
def secretary(tree, make_member):
    return make_member(
        tree.cell_a1x,
        display_name="Sophie Martin",
        roles=[(tree.cell_a1x, Role.Kind.SECRETARY)],
    )


@pytest.mark.parametrize("name", ["Sophie Martin", "sophie martin", "Sоphie Mаrtin"])
def test_a_member_cannot_take_the_name_of_an_officer_of_their_units(
    secretary, member, name
):
    with pytest.raises(ValidationError) as error:
        services.profile_update(user=member, display_name=name)
    assert "display_name" in error.value.message_dict
    member.refresh_from_db()
    assert member.display_name != name


def test_the_profile_page_says_why(secretary, member, client_as):
    page = client_as(member).post(
        "/me/", {"display_name": "SOPHIE MARTIN", "commune": "", "phone": "", "bio": ""}
    )
    assert page.status_code == 200
    assert "name of an officer" in page.content.decode()


def test_the_api_answers_400_naming_the_field(secretary, member, api_as):
    response = api_as(member).patch(
        "/api/v1/me/", {"display_name": "Sophie\u202eMartin"}, format="json"
    )
    assert response.status_code == 400 and "display_name" in response.json()


def test_officers_of_units_above_count_and_others_do_not(tree, make_member, member):
    make_member(
        tree.cell_a1y, display_name="Paul Section", roles=[(tree.section_a1, "officer")]
    )
    make_member(
        tree.cell_b1x, display_name="Bea Ailleurs", roles=[(tree.fed_b, "officer")]
    )
    with pytest.raises(ValidationError):
        services.profile_update(user=member, display_name="Paul Section")
    services.profile_update(user=member, display_name="Bea Ailleurs")


def test_the_officer_keeps_their_own_name(secretary):
    services.profile_update(
        user=secretary, display_name="Sophie Martin", commune="Lyon"
    )


def test_an_invitation_cannot_be_accepted_under_an_officers_name(
    tree, secretary, cell_secretary
):
    _invitation, raw = services.invitation_create(
        unit=tree.cell_a1x, email="new@example.org", by=cell_secretary
    )
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(
            raw_token=raw,
            password="a-long-enough-password",
            display_name="Sophie Martin",
        )
    assert "display_name" in error.value.message_dict


def test_sharing_nothing_is_possible(member, client_as, api_as):
    services.profile_update(user=member, shared_fields=["commune", "phone"])
    page = client_as(member).post(
        "/me/", {"display_name": member.display_name, "commune": "", "bio": ""}
    )
    assert page.status_code == 302
    member.refresh_from_db()
    assert member.shared_fields == []
    services.profile_update(user=member, shared_fields=["bio"])
    response = api_as(member).patch("/api/v1/me/", {"shared_fields": []}, format="json")
    assert response.status_code == 200 and response.json()["shared_fields"] == []


# --- Hashtags ---------------------------------------------------------------------


def test_full_width_and_capital_hashtags_are_one_tag(tree, member, client_as):
    for body in ("#Ｌyon demain", "#LYON ce soir", "#lyon enfin"):
        messaging.post_create(
            author=member, body=body, audience="unit", audience_unit=tree.cell_a1x
        )
    assert list(Hashtag.objects.values_list("name", flat=True)) == ["lyon"]
    page = client_as(member).get("/timeline/tags/Ｌyon/").content.decode()
    assert all(text in page for text in ("demain", "ce soir", "enfin"))


def test_the_migration_merges_tags_stored_in_other_spellings(tree, member):
    from importlib import import_module

    from django.apps import apps

    from organising.messaging.models import Post

    migration = import_module(
        "organising.messaging.migrations.0005_hashtags_one_spelling"
    )
    posts = [
        messaging.post_create(
            author=member,
            body=f"Post {n}",
            audience="unit",
            audience_unit=tree.cell_a1x,
        )
        for n in range(3)
    ]
    wide, capital, plain = (
        Hashtag.objects.create(name=name) for name in ("ｌyon", "LYON", "lyon")
    )
    solo = Hashtag.objects.create(name="ＰＡＲＩＳ")
    posts[0].hashtags.set([wide, plain])
    posts[1].hashtags.set([capital])
    posts[2].hashtags.set([solo])
    migration.one_spelling(apps, None)
    assert sorted(Hashtag.objects.values_list("name", flat=True)) == ["lyon", "paris"]
    lyon = Hashtag.objects.get(name="lyon")
    assert set(Post.objects.filter(hashtags=lyon)) == {posts[0], posts[1]}
    assert posts[2].hashtags.get().name == "paris"
