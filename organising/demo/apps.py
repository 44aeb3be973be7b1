from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation (`manage.py seed_demo`). It sits above every other
    app (it seeds the tree, members, posts and dues): none of them imports upward."""

    name = "organising.demo"
    label = "demo"
    verbose_name = "Demo"
