"""People of the tests: a user of an organisation with one role, as the admin would set them up."""


def member(django_user_model, username: str, organisation, role: str):
    from django.contrib.auth.models import Group

    from accounts.models import Profile

    user = django_user_model.objects.create_user(username, password=f"pw-{username}-42")
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return user
