# The image fly.toml deploys: one image, two process groups (web, worker).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=project.settings
WORKDIR /app

# The studio's spam check runs SpamAssassin's own rules locally (no network tests).
RUN apt-get update && apt-get install -y --no-install-recommends spamassassin \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .

# collectstatic needs settings that load; these values exist only during the build.
RUN DEBUG=0 SECRET_KEY=build-only-secret-key-build-only-secret-key-build-only-1234 \
    ALLOWED_HOSTS=build SITE_URL=https://build WEBHOOK_SECRET=build:only STRIPE_WEBHOOK_SECRET=build python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "project.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
