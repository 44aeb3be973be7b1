"""Names sort in French order on both databases: "Éric" among the E's."""

from members import selectors
from organising.collation import sort_key


def test_members_list_sorts_accented_names_with_their_letter(tree, make_member):
    for name in (
        "Zoé Blanc",
        "Éric Martin",
        "emma Roux",
        "Adèle Petit",
        "Etienne Noir",
    ):
        make_member(tree.cell_a1x, display_name=name)
    page = selectors.unit_members(unit=tree.cell_a1x)
    names = [m.user.display_name for m in page.items]
    assert names == [
        "Adèle Petit",
        "emma Roux",
        "Éric Martin",
        "Etienne Noir",
        "Zoé Blanc",
    ]
    assert names == sorted(names, key=sort_key)


def test_the_keyset_cursor_follows_the_same_order(tree, make_member):
    for index, name in enumerate(["Zoé", "Éric", "Eva", "Ali", "Émile", "Bob"]):
        make_member(tree.cell_a1x, display_name=f"{name} {index}")
    seen, after = [], None
    while True:
        items, after = selectors.page_by_member_name(
            selectors.Membership.objects.current().filter(unit=tree.cell_a1x),
            after=after,
            size=2,
        )
        seen += [m.user.display_name for m in items]
        if after is None:
            break
    assert seen == ["Ali 3", "Bob 5", "Émile 4", "Éric 1", "Eva 2", "Zoé 0"]
