import environ
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Creates the first administrator from DJANGO_SUPERUSER_USERNAME/PASSWORD if it does not exist."

    def handle(self, *args, **options) -> None:
        env = environ.Env()
        username = env.str("DJANGO_SUPERUSER_USERNAME", default="admin")
        password = env.str("DJANGO_SUPERUSER_PASSWORD", default="")
        email = env.str("DJANGO_SUPERUSER_EMAIL", default="")
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Administrator {username!r} exists.")
            return
        if not password:
            raise CommandError("Set DJANGO_SUPERUSER_PASSWORD to create the first administrator.")
        # create_superuser() asks no validator: the first administrator's password meets the same rules.
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            raise CommandError(f"DJANGO_SUPERUSER_PASSWORD is refused: {' '.join(error.messages)}") from None
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Created administrator {username!r}."))
