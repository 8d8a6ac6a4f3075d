FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 urp
COPY pyproject.toml README.md ./
COPY urp_portal urp_portal
COPY subscribers subscribers
COPY tickets tickets
COPY broadcasts broadcasts
COPY moderation moderation
RUN pip install --no-cache-dir .
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput && mkdir -p /srv/urp && chown urp /srv/urp
USER urp
EXPOSE 8000
# Workers and threads come from gunicorn.conf.py, read from this folder.
CMD ["gunicorn", "urp_portal.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
