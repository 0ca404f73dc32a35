# Production image: gunicorn serves the web application; the same image runs the Celery
# worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=mineaction.settings.production

# GeoDjango's native libraries, from Debian (the same ones `make run` installs).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 fonts-dejavu-core \
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

RUN useradd --system --uid 10001 mineaction && mkdir -p /app/var && chown mineaction /app/var
USER mineaction
EXPOSE 8000
CMD ["gunicorn", "mineaction.wsgi:application", "--bind", "0.0.0.0:8000"]
