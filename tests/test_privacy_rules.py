"""Edge cases of the XH4 rules beyond their embedded VALID/INVALID cases."""

from __future__ import annotations

import textwrap
from typing import Any, Optional

import pytest

from errlint.config import Config, parse_table
from errlint.rule import rule_by_code

from conftest import lint_snippet


def run(code: str, rule: str, *, path: str = "app/service.py", pii: Optional[dict[str, Any]] = None) -> list[tuple[int, str, str]]:
    config = Config(preview=True)
    if pii is not None:
        config = parse_table({"pii": pii, "preview": True}, "pyproject.toml", ".", known_codes=[rule],
                             rule_options={}, names_to_codes={})  # fmt: skip
    cls = rule_by_code(rule)
    assert cls is not None
    result = lint_snippet(textwrap.dedent(code).lstrip("\n"), [cls], path=path, config=config)
    assert not result.crashes, result.crashes[0].traceback
    return [(f.line, f.severity.value, f.message) for f in result.findings if f.code == rule]


def messages(code: str, rule: str, **kwargs: Any) -> list[str]:
    return [m for _, _, m in run(code, rule, **kwargs)]


LOG = "import logging\nlog = logging.getLogger(__name__)\n"

# --- XH401 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('log.info("pw=%s", password)', ["`password` (secret) logged in a `log.info` call"]),
        ('log.info(f"pw={user.password}")', ["`user.password` (secret) logged in a `log.info` call"]),
        ('log.info("pw={}".format(creds))', ["`creds` (secret) logged in a `log.info` call"]),
        ('log.info("pw=%s" % api_key)', ["`api_key` (secret) logged in a `log.info` call"]),
        ('log.info("pw=" + str(api_key))', ["`api_key` (secret) logged in a `log.info` call"]),
        ('log.info("x", extra={"ssn": value})', ["`ssn` (government-id) logged in a `log.info` call"]),
        ('log.info("x", extra={"who": user.phone_number})', ["`user.phone_number` (contact) logged in a `log.info` call"]),
        ('log.info("x", extra=dict(iban=value))', ["`iban` (financial) logged in a `log.info` call"]),
        ('log.log(logging.INFO, "ip %s", request.META["REMOTE_ADDR"])', ["`REMOTE_ADDR` (network) logged in a `log.log` call"]),
        ('log.info("auth %s", request.headers.get("Authorization"))', ["`Authorization` (secret) logged in a `log.info` call"]),
        ('log.info("key %s", os.environ["STRIPE_SECRET_KEY"])', ["`STRIPE_SECRET_KEY` (secret) logged in a `log.info` call"]),
        ('log.info("key %s", getattr(settings, "SECRET_KEY"))', ["`SECRET_KEY` (secret) logged in a `log.info` call"]),
        ('log.info("name %s", user.get_full_name())', ["`user.get_full_name()` (identity) logged in a `log.info` call"]),
        ('log.info("%s", [u.email for u in users])', ["`u.email` (contact) logged in a `log.info` call"]),
        ('log.info("%s", email.lower().strip())', ["`email` (contact) logged in a `log.info` call"]),
        ('log.debug("%s", diagnosis if ok else None)', ["`diagnosis` (health) logged in a `log.debug` call"]),
        ('logging.warning("dob %s", dob)', ["`dob` (identity) logged in a `logging.warning` call"]),
        ('log.info("%s", address.zip)', ["`address.zip` (contact) logged in a `log.info` call"]),
    ],
)
def test_xh401_stdlib_shapes(code: str, expected: list[str]) -> None:
    assert messages(LOG + "import os\n" + code, "XH401") == expected


@pytest.mark.parametrize(
    "code",
    [
        'log.info("count %d", len(password))',
        'log.info("set %s", password is not None)',
        'log.info("hash %s", hashlib.sha256(password.encode()).hexdigest())',
        'log.info("masked %s", mask(card_number))',
        'log.info("prefix %s", api_key[:4])',
        'log.info("x", extra={"password": None, "token": "***"})',
        'log.info("type %s", token_type)',
        'log.info("%s %s", author, secretary)',
        'log.info("%s", list(zip(a, b)))',
        'log.info("%s", ipaddress.ip_address(value))',
        'log.info("%s", PasswordForm)',
        'log.info("%s", user.id)',
        'log.info("%s", user_id)',
        'log.info("%s %s", username, user_id)',
        'log.info("%s", request.headers.get("X-Request-Id"))',
        'log.info("%s", os.environ["HOME"])',
        'log.info("domain %s", email.split("@")[1])',
        'log.info("%s", settings.SESSION_COOKIE_NAME)',
        'log.info("%s", is_password_set)',
        'log.info("%s", max_tokens)',
        'log.info("%s", str(keyboard) + compass + bypass + passenger + monkey + tip)',
        'log.info("x", exc_info=True, stack_info=True)',
    ],
)
def test_xh401_safe(code: str) -> None:
    assert messages(LOG + "import hashlib, ipaddress, os\n" + code, "XH401") == []


def test_xh401_account_ids_only_with_another_category() -> None:
    found = run(LOG + 'log.info("%s %s", user_id, email)', "XH401")
    assert found == [
        (3, "info", "`user_id` (account-id, with `email`) logged in a `log.info` call"),
        (3, "warning", "`email` (contact) logged in a `log.info` call"),
    ]


def test_xh401_structlog_loguru_and_bind() -> None:
    code = """
        import structlog
        from loguru import logger

        log = structlog.get_logger()

        def handle(user, token, plan):
            log.info("login", email=user.email, plan=plan)
            bound = log.bind(api_token=token)
            logger.bind(phone=user.phone).info("sms sent to {}", plan)
            logger.info("hello {name}", name=user.first_name)
            structlog.contextvars.bind_contextvars(client_ip=user.ip)
            return bound
    """
    assert messages(code, "XH401") == [
        "`email` (contact) logged in a `log.info` call",
        "`api_token` (secret) bound to a logger in a `log.bind` call",
        "`phone` (contact) bound to a logger in a `logger.bind` call",
        "`user.first_name` (identity) logged in a `logger.info` call",
        "`client_ip` (network) bound to a logger in a `structlog.contextvars.bind_contextvars` call",
    ]


def test_xh401_print_warn_sentry_otel() -> None:
    code = """
        import warnings
        import sentry_sdk
        from opentelemetry import trace

        def handle(user, password):
            print("password:", password)
            print(user.id, sep=", ")
            warnings.warn(f"weak password {password}")
            sentry_sdk.set_tag("email", user.email)
            sentry_sdk.set_tag("plan", user.plan)
            sentry_sdk.set_context("billing", {"card_number": user.card})
            with sentry_sdk.push_scope() as scope:
                scope.set_extra("ssn", user.ssn)
            span = trace.get_current_span()
            span.set_attributes({"user.email": user.email, "user.id": user.id})
            span.add_event("login", attributes={"client.address": user.ip})
            trace.get_current_span().set_attribute("enduser.id", user.id)
    """
    assert messages(code, "XH401") == [
        "`password` (secret) printed by a `print` call",
        "`password` (secret) sent in a `warnings.warn` call",
        "`email` (contact) sent to Sentry in a `sentry_sdk.set_tag` call",
        "`card_number` (financial) sent to Sentry in a `sentry_sdk.set_context` call",
        "`ssn` (government-id) sent to Sentry in a `scope.set_extra` call",
        "`user.email` (contact) recorded on a span in a `span.set_attributes` call",
        "`user.id` (account-id, with `user.email`) recorded on a span in a `span.set_attributes` call",
        "`client.address` (network) recorded on a span in a `span.add_event` call",
    ]


def test_xh401_span_attributes_events_and_start_attributes() -> None:
    """Span attributes and events are trace sinks, and so are the `attributes=` of a span starter."""
    code = """
        from opentelemetry import trace

        tracer = trace.get_tracer(__name__)

        def login(user, password, token):
            with tracer.start_as_current_span("login", attributes={"user.password": password}) as span:
                span.set_attribute("user.password", password)
                span.add_event("refresh", {"token": token})
                span.set_attributes({"auth.token": token, "retries": 2})
            child = tracer.start_span("audit", attributes={"enduser.email": user.email})
            child.end()
            with tracer.start_as_current_span("ok", attributes={"http.route": "/login"}):
                pass
    """
    cls = rule_by_code("XH401")
    assert cls is not None
    result = lint_snippet(textwrap.dedent(code).lstrip("\n"), [cls], path="app/auth.py", config=Config(preview=True))
    assert [(f.line, f.column, f.message) for f in result.findings] == [
        (6, 60, "`user.password` (secret) recorded on a span in a `tracer.start_as_current_span` call"),
        (7, 28, "`user.password` (secret) recorded on a span in a `span.set_attribute` call"),
        (8, 36, "`token` (secret) recorded on a span in a `span.add_event` call"),
        (9, 30, "`auth.token` (secret) recorded on a span in a `span.set_attributes` call"),
        (10, 52, "`enduser.email` (contact) recorded on a span in a `tracer.start_span` call"),
    ]


def test_xh401_shadowed_print_and_module_names() -> None:
    code = """
        import email
        from myapp.cli import print

        def report(password):
            print(password)

        def other():
            log.info("%s", email)
    """
    assert messages(LOG + textwrap.dedent(code), "XH401") == []


def test_xh401_data_flow() -> None:
    code = LOG + textwrap.dedent(
        """
        def reset(user, form):
            email = user.email
            log.info("reset for %s", email)
            msg = "reset link sent to " + email
            log.info(msg)
            secret = form.cleaned_data["password"]
            secret = make_password(secret)
            log.info("stored %s", secret)
            address = user.shipping_address
            label = f"ship to {address}"
            label += "!"
            log.info(label)
            if user.vip:
                note = mask(user.phone)
            else:
                note = "none"
            log.info(note)
        """
    )
    assert messages(code, "XH401") == [
        "`email` (contact) logged in a `log.info` call",
        "`email` (contact, via `msg`) logged in a `log.info` call",
        "`user.shipping_address` (contact, via `label`) logged in a `log.info` call",
    ]


def test_xh401_sessions_outside_web_code_and_technical_names() -> None:
    code = LOG + textwrap.dedent(
        """
        def lock(client, name):
            session_id = client.session.create(name=name)
            log.debug("created consul session %s", session_id)
            log.debug("profile key %s", key.cext_token)
        """
    )
    assert messages(code, "XH401") == []
    orm = LOG + 'def flush(state, table, token):\n    log.debug("%s %s %s", state.session_id, table.full_name, token)\n'
    assert messages(orm, "XH401", path="sqlalchemy/orm/session.py") == []
    # the token (no web import); `table.full_name` is a table's qualified name, not a person's
    assert messages(orm, "XH401", path="shop/checkout.py") == ["`token` (secret) logged in a `log.debug` call"]
    person = LOG + 'def greet(user):\n    log.debug("hello %s", user.full_name)\n'
    assert messages(person, "XH401") == ["`user.full_name` (identity) logged in a `log.debug` call"]


def test_xh401_parser_tokens_are_not_secrets() -> None:
    code = LOG + textwrap.dedent(
        """
        def compile_tag(parser, token):
            log.debug("tag %s", token)

        def walk(tokens):
            for token in tokens:
                log.debug("%r", token)

        def check(token):
            if token.type == "NAME":
                log.debug("name token %s", token)

        def login(token):
            log.debug("login with %s", token)
        """
    )
    assert messages(code, "XH401") == ["`token` (secret) logged in a `log.debug` call"]


def test_xh401_lexer_module_and_message_constants() -> None:
    lexer = "import tokenize\n" + LOG + 'def f(token):\n    log.debug("%s", token)\n'
    assert messages(lexer, "XH401") == []
    constants = LOG + 'W_RACE = "race condition in %s"\nAPI_KEY = "k-123"\nDATABASES_KEY = "databases"\n'
    constants += "def f():\n    log.warning(W_RACE, 1)\n    log.warning(API_KEY)\n    log.info(\"%s\", DATABASES_KEY)\n"
    assert messages(constants, "XH401") == ["`API_KEY` (secret) logged in a `log.warning` call"]


def test_xh401_value_patterns() -> None:
    code = LOG + textwrap.dedent(
        """
        log.info("sent to jane.roe@contoso-mail.net")
        log.info(f"db at postgres://app:Xk29vLq7mZ@db/app for {user_id}")
        log.info("key -----BEGIN RSA PRIVATE KEY----- ...")
        log.info("mail webmaster@localhost or admin@example.com")
        log.info("postgres://user:password@localhost/db")
        """
    )
    assert messages(code, "XH401") == [
        "An email address (contact) logged in a `log.info` call",
        "Credentials in a URL (secret) logged in a `log.info` call",
        "`user_id` (account-id, with credentials in a URL) logged in a `log.info` call",
        "A PEM private key (secret) logged in a `log.info` call",
    ]


def test_xh401_skips_test_modules() -> None:
    code = LOG + 'log.info("%s", password)\n'
    assert messages(code, "XH401", path="tests/test_login.py") == []
    assert messages(code, "XH401", path="app/login.py") != []


def test_xh401_handlers_nested_scopes_and_module_level() -> None:
    code = LOG + textwrap.dedent(
        """
        log.info("boot with %s", SECRET_KEY)

        def run(job, card_number):
            try:
                job.charge(card_number)
            except (ValueError, TypeError):
                log.warning("bad card %s", card_number)
            try:
                job.refund()
            except* OSError as err:
                handler = lambda: log.error("card %s", card_number)
                raise
            finally:
                class Audit:
                    def note(self, email):
                        log.info("audit %s", email)
        """
    )
    lines = [(line, m) for line, _, m in run(code, "XH401")]
    assert lines == [
        (4, "`SECRET_KEY` (secret) logged in a `log.info` call"),
        (10, "`card_number` (financial) logged in a `log.warning` call"),
        (14, "`card_number` (financial) logged in a `log.error` call"),
        (19, "`email` (contact) logged in a `log.info` call"),
    ]


def test_xh401_config() -> None:
    code = "from django.http import HttpResponse\n" + LOG + 'log.info("%s %s %s %s", member_no, next_token, email, session_id)\n'
    pii = {
        "extend-names": {"identity": ["member_no"]},
        "allow-names": ["session_*"],
        "severity": {"contact": "error", "identity": "info"},
    }
    assert run(code, "XH401", pii=pii) == [
        (4, "info", "`member_no` (identity) logged in a `log.info` call"),
        (4, "error", "`email` (contact) logged in a `log.info` call"),
    ]
    assert [m for _, _, m in run(code, "XH401")] == [
        "`email` (contact) logged in a `log.info` call",
        "`session_id` (secret) logged in a `log.info` call",
    ]


# --- XH402 -----------------------------------------------------------------------------------------


def test_xh402_message_arguments() -> None:
    code = """
        def check(user, password, email, code):
            raise ValueError(email)
            raise AuthError(f"bad {password}", code=code)
            raise AuthError("bad login", password=password, status_code=401)
            raise HTTPException(status_code=404, detail=f"no user {email}")
            raise DjangoValidationError("invalid %(value)s", params={"value": user.phone})  # their own input
            raise DjangoValidationError("invalid %(value)s", params={"value": user.card_number})
            raise ValueError("bad email") from None
            raise ValueError(f"bad email for {user.id}")
            raise
    """
    assert messages(code, "XH402") == [
        "`email` (contact) interpolated into the message of `ValueError`",
        "`password` (secret) interpolated into the message of `AuthError`",
        "`email` (contact) interpolated into the message of `HTTPException`",
        "`user.card_number` (financial) interpolated into the message of `DjangoValidationError`",
    ]


def test_xh402_not_for_logs_or_tests() -> None:
    code = LOG + 'def f(password):\n    log.error("x %s", ValueError(password))\n'
    assert messages(code, "XH402") == ["`password` (secret) interpolated into the message of `ValueError`"]
    assert messages(code, "XH402", path="tests/test_x.py") == []


# --- XH403 -----------------------------------------------------------------------------------------


def test_xh403_shapes() -> None:
    code = """
        import dataclasses
        import logging
        from django.http import JsonResponse

        log = logging.getLogger(__name__)

        def view(request, order, obj):
            log.info("%s", request)
            log.info("%s", request.POST)
            log.info("%s", dict(request.headers))
            log.info("%s", request.user)
            log.info("%s", request.session)
            log.info("%s", await_json)
            log.info("%s", vars(order))
            log.info("%s", obj.__dict__)
            log.info("%s", request.user.__dict__)
            log.info("%s", order.model_dump())
            log.info("%s", dataclasses.asdict(order))
            log.info("%s", order.__class__.__dict__)
            log.info("%s", cls.__dict__)
            log.info("%s", request.path)
            log.info("%s", order.id)
    """
    assert messages(code, "XH403") == [
        # `request` and `request.user` are `str()`-ed: their own short representation, not a dump.
        "Whole form data `request.POST` logged in a `log.info` call; log only the fields you need",
        "Whole request headers `request.headers` logged in a `log.info` call; log only the fields you need",
        "Whole session `request.session` logged in a `log.info` call; log only the fields you need",
        "Whole object attributes `vars(order)` logged in a `log.info` call; log only the fields you need",
        "Whole object attributes `request.user.__dict__` logged in a `log.info` call; log only the fields you need",
        "Whole serialized object `order.model_dump()` logged in a `log.info` call; log only the fields you need",
        "Whole serialized object `dataclasses.asdict(order)` logged in a `log.info` call; log only the fields you need",
    ]


def test_xh403_request_outside_web_code_and_custom_exceptions() -> None:
    celery = LOG + 'def on_task(self, request):\n    log.info("%s %s", request, self.request)\n'
    assert messages(celery, "XH403") == []
    raised = """
        import json
        from flask import request

        def f(user):
            raise RoutingRedirect(request.form)
            raise ValueError(request.form)
            raise ValueError(f"bad user {user}")
            raise ValueError(f"bad user {json.dumps(user)}")
    """
    assert messages(raised, "XH403") == [
        "Whole form data `request.form` interpolated into the message of `ValueError`; log only the fields you need",
        "Whole serialized object `json.dumps(user)` interpolated into the message of `ValueError`; log only the fields you need",
    ]


def test_xh403_user_as_a_login_name() -> None:
    code = LOG + textwrap.dedent(
        """
        import json

        def connect(host, user, password):
            log.info("as %s", json.dumps(user))

        def run(user: str):
            log.info("as %s", json.dumps(user))

        def whoami(conn):
            user = conn.login
            log.info("as %s", json.dumps(user))

        def save(user):
            log.info("saving %s", json.dumps(user))
            log.info("saving %s", user)  # `str(user)`: not a dump
        """
    )
    assert messages(code, "XH403") == [
        "Whole serialized object `json.dumps(user)` logged in a `log.info` call; log only the fields you need",
    ]


# --- XH404 -----------------------------------------------------------------------------------------


def xh404(code: str) -> list[str]:
    return messages(code, "XH404")


def test_xh404_flask_shapes() -> None:
    code = """
        import traceback
        from flask import Flask, abort, jsonify, make_response

        app = Flask(__name__)

        @app.route("/a")
        def a():
            try:
                return work()
            except KeyError as e:
                return {"error": str(e)}, 404
            except OSError as e:
                abort(503, description=str(e))
            except Exception as e:
                return make_response(jsonify(error=f"{e}"), 500)

        @app.route("/b")
        def b():
            try:
                return work()
            except ValueError as e:
                status = pick_status()
                return jsonify(error=e.args[0]), status
            except LookupError:
                return traceback.format_exc(), 404

        @app.errorhandler(500)
        def server_error(e):
            return str(e), 500

        @app.errorhandler(Exception)
        def crash(e):
            return jsonify(error=repr(e)), 500

        def helper():
            try:
                work()
            except Exception as e:
                return str(e), 500
    """
    assert xh404(code) == [
        "Exception text `str(e)` sent to the client in an `abort` response (status 503); log it and return a generic error",
        "Exception text `e` sent to the client in a `make_response` response (status 500); log it and return a generic error",
        "Exception text `e.args` sent to the client in a `jsonify` response (unknown status); log it and return a generic error",
        "Traceback `traceback.format_exc()` sent to the client in the return value of route `b` (status 404); log it and return a generic error",
        "Exception text `repr(e)` sent to the client in a `jsonify` response (status 500); log it and return a generic error",
    ]


def test_xh404_status_from_the_exception_and_user_errors() -> None:
    code = """
        from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
        from rest_framework.exceptions import ValidationError
        from werkzeug.exceptions import HTTPException

        def view(request):
            try:
                work()
            except HTTPException as e:
                return JsonResponse({"error": str(e)}, status=e.code)
            except (ValueError, KeyError) as e:
                raise ValidationError(str(e))
            except InvalidCoupon as e:
                return HttpResponseBadRequest(str(e))
            except Exception as e:
                return HttpResponseBadRequest(str(e))
            except BaseException as e:
                return HttpResponseServerError(f"failed: {e!r}")
    """
    assert xh404(code) == [
        "Exception text `str(e)` sent to the client in a `HttpResponseBadRequest` response "
        "(status 400, but `Exception` is a broad type); log it and return a generic error",
        "Exception text `e` sent to the client in a `HttpResponseServerError` response (status 500); "
        "log it and return a generic error",
    ]


def test_xh404_status_from_a_method_of_the_exception() -> None:
    """MLflow's `MlflowException` carries its HTTP status: `e.get_http_status_code()` is `e.code`."""
    code = """
        from fastapi import HTTPException
        from fastapi.responses import PlainTextResponse

        def get_job(job_id):
            try:
                return load(job_id)
            except MlflowException as e:
                raise HTTPException(status_code=e.get_http_status_code(), detail=e.message)
            except KeyError as e:
                return PlainTextResponse(e.message, status_code=e.get_http_status_code())
            except OSError as e:
                raise HTTPException(status_code=e.get_http_status_code(extra=1), detail=str(e))
            except ValueError as e:
                return PlainTextResponse(str(e), status_code=e.describe())
    """
    assert xh404(code) == [
        "Exception text `str(e)` sent to the client in a `HTTPException` response (unknown status); "
        "log it and return a generic error",
        "Exception text `str(e)` sent to the client in a `PlainTextResponse` response (unknown status); "
        "log it and return a generic error",
    ]


def test_xh404_error_handlers_for_http_exception_classes_pass_the_client_text_on() -> None:
    """Indico's error handlers: `return exc` for a werkzeug `Forbidden`/`HTTPException` is the exception's
    own response (its status, its description for the client), not exception text at status 200."""
    code = """
        from flask import Blueprint, jsonify
        from starlette.exceptions import HTTPException as StarletteHTTPException
        from werkzeug.exceptions import Forbidden, HTTPException

        bp = Blueprint("errors", __name__)

        @bp.app_errorhandler(Forbidden)
        def handle_forbidden(exc):
            if exc.response:
                return exc
            return render_error(exc)

        @bp.app_errorhandler(HTTPException)
        def handle_http_exception(exc):
            return exc

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request, exc):
            return jsonify(detail=str(exc))

        @bp.app_errorhandler(DatabaseError)
        def handle_database_error(exc):
            return exc
    """
    assert xh404(code) == [
        "Exception text `exc` sent to the client in the return value of route `handle_database_error` "
        "(status 200); log it and return a generic error",
    ]


def test_xh404_not_a_response() -> None:
    code = """
        import http.client
        from unittest import mock

        def f():
            try:
                work()
            except Exception as e:
                raise http.client.HTTPException(str(e))

        @mock.patch("x")
        def g():
            try:
                work()
            except Exception as e:
                return str(e), 500
    """
    assert xh404(code) == []
    assert messages(code.replace("http.client.", "fastapi."), "XH404", path="tests/test_api.py") == []


def test_xh404_debug_only() -> None:
    code = """
        import traceback
        from django.conf import settings
        from django.http import HttpResponseServerError

        def handle(request):
            try:
                return work()
            except Exception as e:
                if settings.DEBUG:
                    return HttpResponseServerError(traceback.format_exc())
                return HttpResponseServerError(traceback.format_exc() if settings.DEBUG else "Internal Server Error")
    """
    assert xh404(code) == []


def test_xh401_xh402_known_empty_values_and_templates() -> None:
    code = LOG + textwrap.dedent(
        """
        def scoped(auth_token, ip, password, email):
            if not auth_token:
                raise ValueError(f"expected a non-empty auth_token, got {auth_token!r}")
            if not isinstance(cast(Any, ip), str) or ip is None:
                raise TypeError(f"ip must be a string, got {ip!r}")
            if password:
                raise ValueError(f"unexpected password {password}")
            msg = "cache at {path} is writable".format(**locals())
            log.warning(msg)
            log.warning("login %(email)s" % locals())
            log.warning("login {email}".format_map(vars()))
        """
    )
    assert messages(code, "XH402") == ["`password` (secret) interpolated into the message of `ValueError`"]
    assert messages(code, "XH403") == []
    assert messages(code, "XH401") == [
        "`email` (contact) logged in a `log.warning` call",
        "`email` (contact) logged in a `log.warning` call",
    ]


# --- mandatory edge cases (RULES.md) ---------------------------------------------------------------

EDGE_CASES = """
import logging
import traceback
from flask import Flask, jsonify

app = Flask(__name__)
log = logging.getLogger(__name__)

log.info("boot key %s", SECRET_KEY)

@app.route("/x")
async def view(request, user, password):
    try:
        await work()
    except KeyError:
        log.info("missing %s", password)
    except (OSError, ValueError) as err:
        log.info("retrying for %s", user.email)
        err = RuntimeError(f"upstream said {err}")
        return jsonify(error=str(err)), 503
    try:
        await work()
    except* TimeoutError as group:
        def later():
            log.info("later %s", user.phone)
            raise ValueError(f"bad card {user.card_number}") from None
        notify = lambda: log.info("%s", request.headers)
        class Audit:
            note = print(user.ssn)
        raise
    async with session() as conn:
        log.info("conn for %s", user.dob)
    return jsonify(ok=True)
"""


def test_edge_cases_xh401() -> None:
    assert [(line, m) for line, _, m in run(EDGE_CASES, "XH401")] == [
        (8, "`SECRET_KEY` (secret) logged in a `log.info` call"),
        (15, "`password` (secret) logged in a `log.info` call"),
        (17, "`user.email` (contact) logged in a `log.info` call"),
        (24, "`user.phone` (contact) logged in a `log.info` call"),
        (28, "`user.ssn` (government-id) printed by a `print` call"),
        (31, "`user.dob` (identity) logged in a `log.info` call"),
    ]


def test_edge_cases_xh402_xh403_xh404() -> None:
    assert messages(EDGE_CASES, "XH402") == [
        "`user.card_number` (financial) interpolated into the message of `ValueError`",
    ]
    assert messages(EDGE_CASES, "XH403") == [
        "Whole request headers `request.headers` logged in a `log.info` call; log only the fields you need",
    ]
    assert messages(EDGE_CASES, "XH404") == [
        "Exception text `str(err)` sent to the client in a `jsonify` response (status 503); "
        "log it and return a generic error",
    ]


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("shop/orders.py", ["XH401", "XH403"]),
        ("shop/migrations/0302_fix_secrets.py", []),
        ("shop/management/commands/export.py", []),
        ("examples/orders.py", []),
        ("tests/test_orders.py", []),
    ],
)
def test_privacy_rules_skip_test_code_demos_and_operator_scripts(path: str, codes: list[str]) -> None:
    code = LOG + 'def fix(account, request):\n    log.info("new password %s", account.password)\n    log.info("%s", request.POST)\n'
    found = [c for c in ("XH401", "XH403") if run(code, c, path=path)]
    assert found == codes
    in_test_function = LOG + 'def test_fix(password):\n    log.info("%s", password)\n'
    assert run(in_test_function, "XH401") == []


def test_business_record_codes_and_command_line_output() -> None:
    code = LOG + textwrap.dedent(
        """
        def cancel(order, gc, client):
            log.info("cancelling %s (%s)", order.code, order.token)
            log.info("gift card %s redeemed", gc.secret)
            log.info("client %s", client.token)
            raise OrderError(_("The gift card {card} was redeemed.").format(card=gc.secret))
        """
    )
    assert messages(code, "XH401") == ["`client.token` (secret) logged in a `log.info` call"]
    assert messages(code, "XH402") == []
    tool = 'import argparse\n\ndef main(secret):\n    print("{0}".format(secret.decode()))\n'
    assert messages(tool, "XH401") == []
    assert messages(tool.replace("import argparse\n", ""), "XH401") == ["`secret` (secret) printed by a `print` call"]
    assert messages(tool.replace("import argparse\n", ""), "XH401", path="tools/convert.py") == []


def test_xh401_bind_on_a_logger_bound_inside_a_function() -> None:
    code = textwrap.dedent(
        """
        import structlog

        def login(email):
            audit = structlog.get_logger("audit")
            audit.bind(email=email).info("login")
            notes = []
            notes.bind(email=email)
        """
    )
    assert messages(code, "XH401") == ["`email` (contact) bound to a logger in a `audit.bind` call"]


def test_xh401_send_paths_and_access_logs() -> None:
    code = LOG + textwrap.dedent(
        """
        class SmsProvider:
            def submit_message(self, phone, message):
                log.debug("submitting message to %s", phone)

        class RequestHandler:
            def log_request(self, code, client_ip):
                log.info("%s %s", client_ip, code)

        def profile(phone, client_ip):
            log.debug("profile of %s from %s", phone, client_ip)
        """
    )
    assert messages(code, "XH401") == [
        "`phone` (contact) logged in a `log.debug` call",
        "`client_ip` (network) logged in a `log.debug` call",
    ]


def test_wrong_type_branch_and_dev_server_addresses() -> None:
    code = textwrap.dedent(
        """
        def brokers(broker_urls):
            if isinstance(broker_urls, str):
                return broker_urls.split(";")
            else:
                raise ValueError(f"broker_url must be a string, got {broker_urls!r}")
            raise ValueError(f"bad broker {broker_urls!r}")
        """
    )
    assert messages(code, "XH402") == ["`broker_urls` (secret) interpolated into the message of `ValueError`"]
    server = LOG + 'class WSGIServer:\n    def handle_error(self, request, client_address):\n        log.info("broken pipe from %s", client_address)\n'
    assert messages(server, "XH401") == []
