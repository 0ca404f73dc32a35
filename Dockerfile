# Production image: gunicorn serves the web application; the same image runs the Celery
# worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=mineaction.settings.production

# GeoDjango's native libraries, from Debian (the same ones `make run` installs), and the PostgreSQL
# clients of `manage.py backup` and `restore`: Debian 12's are version 15, as recent as the server of
# docker-compose.yml (postgis/postgis:15); pg_dump refuses a newer server.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 fonts-dejavu-core \
       postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml .
RUN python - <<'PY' > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
COPY . .
# collectstatic needs settings to import, not real secrets.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0

# The folders of stored files (exports, imports, field attachments) and backups, owned by the user the
# services run as: a new named volume mounted on /app/var (docker-compose.yml) starts as a copy of them.
RUN useradd --system --uid 10001 mineaction \
    && mkdir -p /app/var/exports /app/var/imports /app/var/field /app/var/backups \
    && chown -R mineaction /app/var
USER mineaction
EXPOSE 8000
CMD ["gunicorn", "mineaction.wsgi:application", "--bind", "0.0.0.0:8000"]
