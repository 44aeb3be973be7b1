from federation import access
from federation.models import Audience


def test_cell_member_sees_unit_tree_audience_of_ancestors(tree, member):
    assert access.in_audience(member, Audience.UNIT_TREE, tree.national)
    assert access.in_audience(member, Audience.UNIT_TREE, tree.section_a1)
    assert not access.in_audience(member, Audience.UNIT_TREE, tree.section_a2)
