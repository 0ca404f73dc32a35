from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage


class Command(BaseCommand):
    help = "Sends to the Celery broker the tasks the outbox kept while it was unreachable, oldest first."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=outbox.RELAY_BATCH, help="Rows sent per transaction.")

    def handle(self, *args, batch: int, **options):
        started = timezone.now()
        sent = outbox.relay(batch=batch)
        count, oldest = outbox.pending()
        self.stdout.write(f"{sent} sent, {count} pending" + (f" (oldest {oldest.isoformat()})" if oldest else ""))
        # Rows written before this run and still pending: the broker failed (a script sees the exit code).
        if OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=started).exists():
            raise CommandError("The broker is unreachable: the pending tasks stay in the outbox.")
