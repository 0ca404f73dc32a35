import environ
from django.contrib.auth import get_user_model
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
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Created administrator {username!r}."))
