"""Production settings: the deploy checks pass with the README's production environment, no
start without a signing key, the Content-Security-Policy, API schema and docs behind login."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "src" / "waterdesk").glob("*/templates/**/*.html"))

# The production environment of README.md ("Production settings").
PRODUCTION = {
    "ALLOWED_HOSTS": "desk.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://desk.example.cn",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "USE_X_FORWARDED_PROTO": "1",
}


def run_manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a clean environment: only PATH, a scratch var/ and ``env``."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "WATERDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "waterdesk.config.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNINGS" not in output
    assert not [line for line in output.splitlines() if "?:" in line]


def test_without_https_settings_check_deploy_warns(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="desk.example.cn",
    )

    output = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output


def test_without_secret_key_the_process_refuses_to_start(tmp_path):
    result = run_manage(tmp_path, "check", **PRODUCTION)

    assert result.returncode == 1
    assert "ImproperlyConfigured: SECRET_KEY is not set." in result.stderr
    assert "or set DEBUG=1 for a development run" in result.stderr


def test_a_debug_run_starts_without_secret_key(tmp_path):
    result = run_manage(tmp_path, "check", DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_api_docs_can_be_made_public(tmp_path):
    script = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/api/schema/').status_code, Client().get('/api/docs/').status_code)"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WATERDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "waterdesk.config.settings",
        "DEBUG": "1",
        "WATERDESK_API_DOCS_PUBLIC": "1",
        "PYTHONPATH": str(ROOT / "src"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.split() == ["200", "200"], result.stderr


# --- Content-Security-Policy ------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.django_db
def test_swagger_ui_alone_may_use_inline_styles(clerk):
    client = Client()
    client.force_login(clerk)

    page = client.get("/api/docs/")
    startup = client.get("/api/docs/?script=")

    for response in (page, startup):
        directives = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert directives["style-src"] == "'self' 'unsafe-inline'"
        assert directives["script-src"] == "'self'"


def test_templates_have_no_inline_script_or_style():
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|\bhx-on|\son[a-z]+=|\sstyle=|<style", re.IGNORECASE
    )

    found = {
        str(path.relative_to(ROOT)): inline.findall(path.read_text(encoding="utf-8"))
        for path in TEMPLATES
    }

    assert TEMPLATES
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_htmx_neither_evaluates_nor_injects_styles():
    base = (ROOT / "src/waterdesk/workbench/templates/workbench/base.html").read_text()

    assert (
        """<meta name="htmx-config" content='{"allowEval": false, """
        """"includeIndicatorStyles": false}'>"""
    ) in base


# --- API schema and docs need a login ---------------------------------------------------


@pytest.mark.django_db
def test_anonymous_schema_is_401():
    response = Client().get("/api/schema/")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录。"}


@pytest.mark.django_db
def test_anonymous_docs_go_to_the_login_page():
    response = Client().get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"


@pytest.mark.django_db
def test_a_logged_in_user_gets_schema_and_docs(clerk):
    client = Client()
    client.force_login(clerk)

    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# --- static files in production -----------------------------------------------------------


@pytest.mark.django_db
def test_production_static_files_have_hashed_names_and_a_long_cache_time(tmp_path, settings):
    """`collectstatic` with the production settings writes hashed, gzipped copies and the
    manifest; pages link the hashed names, which WhiteNoise serves as immutable for a year."""
    result = run_manage(
        tmp_path,
        "collectstatic",
        "--noinput",
        SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    static_root = tmp_path / "var" / "static"
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["workbench/app.css"]
    assert re.fullmatch(r"workbench/app\.[0-9a-f]{12}\.css", hashed)
    assert (static_root / f"{hashed}.gz").is_file()
    assert re.fullmatch(r"workbench/app\.[0-9a-f]{12}\.js", manifest["workbench/app.js"])

    settings.STATIC_ROOT = static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    client = Client()  # a new handler: WhiteNoise reads the collected files
    page = client.get("/login/").content.decode()
    assert f'href="/static/{hashed}"' in page
    assert f'src="/static/{manifest["workbench/app.js"]}"' in page

    response = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Encoding"] == "gzip"
    response.close()
