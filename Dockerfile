# Production-like image of the EIG platform: gunicorn for the web, the same image for Celery.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# WeasyPrint needs Pango; curl serves the health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 curl \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 eig
WORKDIR /app
COPY pyproject.toml README.md ./
COPY eig eig
COPY projects projects
COPY candidates candidates
COPY missions missions
COPY funding funding
RUN pip install .
COPY . .
# collectstatic reads settings only: dummy values, never used at run time.
RUN DJANGO_ENV=production DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build CACHE_URL=locmemcache:// \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R eig:eig /app/media
USER eig
EXPOSE 8000
CMD ["gunicorn", "eig.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
