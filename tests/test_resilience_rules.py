"""Edge cases of the context (XH5) and resilience (XH6) rules beyond their embedded examples.

Every rule is checked against the shapes RULES.md requires: several handlers on one `try`,
`except*`, tuples of types, functions/lambdas/classes nested in a handler, bare `raise`,
`raise ... from None`, a rebound exception name, `async def`/`async with`, and module-level code;
plus the false-positive patterns found on the precision corpus (docs/precision.md).
"""

from __future__ import annotations

import textwrap
from typing import Any, Optional

import pytest

from errlint.rule import LintRule, rule_by_code

from conftest import lint_snippet


def run(code: str, rule_code: str, *, path: str = "app/module.py", options: Optional[dict[str, Any]] = None) -> list[tuple[int, int, str]]:
    rule = rule_by_code(rule_code)
    assert rule is not None
    result = lint_snippet(textwrap.dedent(code), [rule], path=path, options={rule_code: options} if options else None)
    assert not result.crashes, result.crashes[0].traceback
    return [(f.line, f.column, f.message) for f in result.findings if f.code == rule_code]


def lines(code: str, rule_code: str, **kwargs: Any) -> list[int]:
    return [line for line, _, _ in run(code, rule_code, **kwargs)]


def rule(code: str) -> type[LintRule]:
    found = rule_by_code(code)
    assert found is not None
    return found


# --- XH501 exception-without-message -------------------------------------------------------


def test_xh501_flags_builtin_types_only() -> None:
    code = """
        from app.errors import NotFound
        class Missing(Exception):
            pass

        def f(x):
            if x == 1:
                raise ValueError
            if x == 2:
                raise KeyError()
            if x == 3:
                raise NotFound()        # imported: a project class
            if x == 4:
                raise Missing           # defined here
            if x == 5:
                raise ValueError("x must not be 5")
            if x == 6:
                raise NotImplementedError
            if x == 7:
                raise SystemExit
            if x == 8:
                raise Exception         # XH202's business
            if x == 9:
                raise ValueError(x)
            raise
        """
    assert lines(code, "XH501") == [8, 10]


def test_xh501_module_level_async_and_from_none() -> None:
    code = """
        import os

        if not os.environ.get("HOME"):
            raise RuntimeError

        async def load(path):
            async with open_file(path) as fh:
                try:
                    return await fh.read()
                except OSError:
                    raise LookupError from None
        """
    assert lines(code, "XH501") == [5, 12]


def test_xh501_local_control_flow_is_exempt() -> None:
    code = """
        def parse(text):
            try:
                if not text:
                    raise KeyError
                return int(text)
            except (TypeError, LookupError):
                return None
        """
    assert lines(code, "XH501") == []


def test_xh501_a_broad_catch_does_not_make_it_control_flow() -> None:
    code = """
        def parse(text):
            try:
                if not text:
                    raise KeyError
            except Exception:
                log.exception("parse failed")
        """
    assert lines(code, "XH501") == [5]


def test_xh501_type_caught_elsewhere_in_the_module_is_a_signal() -> None:
    code = """
        def _lookup(table, key):
            if key not in table:
                raise KeyError
            return table[key]

        def get(table, key, default=None):
            try:
                return _lookup(table, key)
            except LookupError:
                return default
        """
    assert lines(code, "XH501") == []


def test_xh501_translating_in_the_handler_is_not_a_signal() -> None:
    code = """
        class Registry:
            def __getitem__(self, key):
                try:
                    return self._items[key]
                except KeyError:
                    raise KeyError from None

            def __getattribute__(self, name):
                if name.startswith("_hidden"):
                    raise AttributeError   # hands over to __getattr__
                return super().__getattribute__(name)

            def __getattr__(self, name):
                raise AttributeError
        """
    assert lines(code, "XH501") == [7, 15]


def test_xh501_raise_in_function_nested_in_try_is_not_caught_there() -> None:
    code = """
        def outer():
            try:
                def inner():
                    raise ValueError
                return inner
            except LookupError:
                return None
        """
    assert lines(code, "XH501") == [5]


def test_xh501_empty_message_and_except_star() -> None:
    code = """
        try:
            run()
        except* OSError:
            raise RuntimeError('')
        """
    assert run(code, "XH501") == [
        (5, 11, "`RuntimeError` raised with an empty message: say what was wrong and with which value")
    ]


@pytest.mark.parametrize(
    "path", ["tests/test_api.py", "pkg/tests/helpers.py", "t/unit/tasks.py", "test_x.py", "conftest.py", "x_test.py"]
)
def test_xh501_test_files_are_exempt(path: str) -> None:
    assert lines("raise ValueError\n", "XH501", path=path) == []


def test_xh501_test_functions_and_classes_are_exempt() -> None:
    code = """
        def test_retry():
            raise ConnectionError

        class TestClient:
            def fake(self):
                raise ConnectionError

        class test_worker:
            def fake(self):
                raise ConnectionError

        def fake():
            raise ConnectionError
        """
    assert lines(code, "XH501") == [14]


# --- XH502 context-free-error-log ----------------------------------------------------------

_LOG = """
import logging
import structlog
from loguru import logger as lg
logger = logging.getLogger(__name__)
slog = structlog.get_logger()
"""


def test_xh502_generic_messages_every_form() -> None:
    code = _LOG + """
def sync(order_id):
    try:
        push(order_id)
    except KeyError:
        logger.error("Error")
    except (OSError, ValueError) as err:
        logger.exception("An error occurred: %s", err)
    except TimeoutError as err:
        logger.error("failed: {}".format(err))
    except ConnectionError as err:
        logger.critical("Exception occurred: %s" % str(err))
    except RuntimeError as err:
        logger.log(logging.ERROR, "Something went wrong! " + repr(err))
    except LookupError:
        slog.error("oops")
    except ArithmeticError:
        lg.opt(exception=True).error("unexpected error")
"""
    assert lines(code, "XH502") == [12, 14, 16, 18, 20, 22, 24]


def test_xh502_generic_text_with_identifying_data_is_fine() -> None:
    code = _LOG + """
def sync(order_id):
    try:
        push(order_id)
    except KeyError as err:
        logger.error("error: %s", order_id)
    except OSError as err:
        logger.error(f"failed {order_id}: {err}")
    except ValueError:
        logger.error("failed", extra={"order_id": order_id})
    except TimeoutError:
        slog.error("failed", order_id=order_id)
    except ConnectionError:
        slog.bind(order_id=order_id).error("failed")
    except LookupError:
        logger.warning("failed")
"""
    assert lines(code, "XH502") == []


def test_xh502_constant_message_needs_an_identifier_in_scope() -> None:
    code = _LOG + """
def shutdown():
    try:
        close_all()
    except OSError:
        logger.exception("Could not close the connections")

def load(user_id):
    try:
        fetch(user_id)
    except OSError:
        logger.exception("Could not load the profile")

def sweep(self):
    for bucket in buckets():
        try:
            clean(bucket)
        except OSError:
            logger.error("Cleaning failed")

def sweep2():
    with connect() as conn:
        table = conn.table()
        try:
            clean(table)
        except OSError:
            slog.error("cleaning_failed")  # structlog: context is bound elsewhere
"""
    assert run(code, "XH502") == [
        (
            18,
            26,
            "Error log with a constant message and no data, although `user_id` is in scope: say which "
            "operation failed and for which entity",
        ),
        (
            25,
            26,
            "Error log with a constant message and no data, although `bucket` is in scope: say which "
            "operation failed and for which entity",
        ),
    ]


def test_xh502_only_in_the_handlers_own_code() -> None:
    code = _LOG + """
logger.error("error")

try:
    start()
except OSError:
    logger.error("error")
    callback = lambda: logger.error("error")
    class Retry:
        def run(self):
            logger.error("error")
    def later():
        logger.error("error")
"""
    assert lines(code, "XH502") == [13]


def test_xh502_report_functions_and_variables_are_skipped() -> None:
    code = _LOG + """
import sentry_sdk

def sync(order_id, message):
    try:
        push(order_id)
    except OSError:
        sentry_sdk.capture_exception()
        logger.error(message)
        logger.error(MESSAGES["failed"])
"""
    assert lines(code, "XH502") == []


def test_xh502_option_extends_the_generic_texts() -> None:
    code = _LOG + """
def sync():
    try:
        push()
    except OSError:
        logger.error("Push problem!")
"""
    assert lines(code, "XH502") == []
    assert lines(code, "XH502", options={"extend_generic_messages": ("push problem",)}) == [12]


# --- XH503 wrapped-without-context ---------------------------------------------------------


def test_xh503_forms_of_copying() -> None:
    code = """
        def load(path):
            try:
                return parse(path)
            except KeyError as err:
                raise ConfigError(err)
            except (ValueError, TypeError) as err:
                raise ConfigError(str(err)) from err
            except OSError as err:
                raise ConfigError(repr(err)) from None
            except LookupError as err:
                raise ConfigError(*err.args)
            except RuntimeError as err:
                raise ConfigError(err.args[0])
            except ArithmeticError as err:
                raise ConfigError(f"{err!s}")
        """
    assert lines(code, "XH503") == [6, 8, 10, 12, 14, 16]


def test_xh503_context_added_or_not_a_wrapper() -> None:
    code = """
        async def load(path):
            try:
                return await parse(path)
            except KeyError as err:
                raise ConfigError(f"cannot load {path}: {err}") from err
            except ValueError as err:
                raise ConfigError(str(err), path=path) from err
            except TypeError as err:
                raise ConfigError(err, path)
            except OSError as err:
                raise err
            except LookupError:
                raise
            except RuntimeError as err:
                raise pytest.fail(str(err))
            except ArithmeticError as err:
                raise make_error(err)
            except ImportError:
                raise ConfigError(str(path))
        """
    assert lines(code, "XH503") == []


def test_xh503_rebound_name_and_nested_scopes() -> None:
    code = """
        try:
            run()
        except OSError as err:
            err = translate(err)
            raise AppError(err)
        except LookupError as err:
            def fail():
                raise AppError(err)
            return fail

        try:
            run()
        except* ValueError as group:
            handler = lambda: AppError(group)
            raise AppError(group) from group
        """
    assert lines(code, "XH503") == [16]


# --- XH601 call-without-timeout ------------------------------------------------------------


def test_xh601_import_forms() -> None:
    code = """
        import requests
        import requests as rq
        from requests import get, post as send
        import urllib.request
        from urllib import request as urlreq
        import http.client
        import smtplib, ftplib, socket

        def go(url, **kw):
            requests.get(url)
            rq.request("GET", url)
            get(url)
            send(url, data={})
            urllib.request.urlopen(url)
            urlreq.urlopen(url, timeout=3)
            http.client.HTTPSConnection("example.com")
            smtplib.SMTP("mail.example.com")
            smtplib.SMTP()
            ftplib.FTP("ftp.example.com")
            ftplib.FTP()                      # connects later, may pass timeout= to connect()
            socket.create_connection(("example.com", 80))
            socket.create_connection(("example.com", 80), 5)
            requests.get(url, **kw)
            requests.get(url, timeout=None)
        """
    assert lines(code, "XH601") == [11, 12, 13, 14, 15, 17, 18, 19, 20, 22, 25]


def test_xh601_timeout_none_is_reported_on_the_keyword() -> None:
    code = """
        import httpx
        import requests

        def go(url):
            httpx.get(url)
            httpx.post(url, timeout=None)
            with httpx.Client(timeout=None) as client:
                client.get(url)
            requests.post(url, timeout=None)
        """
    assert run(code, "XH601") == [
        (7, 21, "`httpx.post` called with `timeout=None`: a server that stops answering blocks this call forever"),
        (8, 23, "`httpx.Client` called with `timeout=None`: a server that stops answering blocks this call forever"),
        (10, 24, "`requests.post` called with `timeout=None`: a server that stops answering blocks this call forever"),
    ]


def test_xh601_sessions_are_tracked_by_scope() -> None:
    code = """
        import requests

        shared_session = requests.Session()
        shared = requests.Session()
        shared.get("https://example.com")

        def a():
            s = requests.session()
            s.get("https://example.com")
            shared_session.post("https://example.com")
            shared.post("https://example.com")      # not followed: named `shared`
            cache = {}
            cache.get("key")

        def b(s):
            s.get("https://example.com")        # `s` is a parameter here, not a session

        class Client:
            def __init__(self):
                self.http = requests.Session()
                self.http_session = requests.Session()
                self.http.get("https://example.com/warmup")

            def fetch(self, url):
                self.http.get(url)                  # not followed: named `http`
                return self.http_session.get(url)

            async def fetch_async(self, url):
                async with requests.Session() as session:
                    return session.head(url)

        class Other:
            def fetch(self, url):
                return self.http_session.get(url)   # another class's attribute

        def chained(url):
            return requests.Session().get(url, timeout=2), requests.Session().get(url)
        """
    assert lines(code, "XH601") == [6, 10, 11, 23, 27, 31, 38]


def test_xh601_in_handlers_and_except_star() -> None:
    code = """
        import requests

        try:
            requests.get("https://a.example")
        except requests.Timeout:
            requests.get("https://b.example")
        except* OSError:
            pass
        """
    # `except` and `except*` cannot be mixed: the file does not parse and nothing is reported.
    assert lines(code, "XH601") == []
    code = """
        import requests

        try:
            requests.get("https://a.example")
        except (requests.Timeout, requests.ConnectionError):
            requests.get("https://b.example")
        except ValueError:
            def later():
                return requests.get("https://c.example")
        """
    assert lines(code, "XH601") == [5, 7, 10]


# --- XH602 retry-without-backoff -----------------------------------------------------------


def test_xh602_retry_shapes() -> None:
    code = """
        def a(url):
            for _ in range(3):
                try:
                    r = fetch(url)
                except ConnectionError:
                    continue
                break

        def b(url):
            done = False
            while not done:
                try:
                    fetch(url)
                    done = True
                except ConnectionError:
                    log.warning("retrying")

        def c(url):
            for attempt in range(3):
                try:
                    r = fetch(url)
                except (ConnectionError, OSError):
                    pass
                else:
                    return r

        async def d(url):
            while True:
                try:
                    async with session(url) as s:
                        return await s.read()
                except* ConnectionError:
                    continue
        """
    assert lines(code, "XH602") == [6, 16, 23, 33]


def test_xh602_backoff_and_bounds() -> None:
    code = """
        import time

        def a(url):
            for attempt in range(3):
                try:
                    return fetch(url)
                except ConnectionError:
                    time.sleep(2 ** attempt)

        def b(url):
            while True:
                try:
                    return fetch(url)
                except ConnectionError:
                    self._backoff.wait()
                    if self.attempts > 5:
                        raise

        def c(url, retries):
            while True:
                retries -= 1
                try:
                    return fetch(url)
                except ConnectionError:
                    sleep(1)
                if not retries:
                    raise GaveUp(url)

        async def d(url):
            while True:
                await asyncio.sleep(1)
                try:
                    return await fetch(url)
                except ConnectionError:
                    log.warning("retrying")
        """
    assert run(code, "XH602") == [
        (
            35,
            9,
            "`while True` retries after `except ConnectionError:` with no attempt limit: a dependency that "
            "stays down blocks this forever",
        )
    ]


def test_xh602_not_retry_loops() -> None:
    code = """
        def alternatives(hosts):
            for host in hosts:
                try:
                    return connect(host)
                except ConnectionError:
                    continue

        def by_index(hosts):
            for i in range(len(hosts)):
                try:
                    return connect(hosts[i])
                except ConnectionError:
                    pass

        def consumer(queue):
            while True:
                try:
                    handle(queue.get())
                except ConnectionError:
                    continue

        def gives_up(url):
            for _ in range(3):
                try:
                    return fetch(url)
                except ConnectionError:
                    raise

        def search(base):
            name = base
            while True:
                try:
                    return reserve(name)
                except ConnectionError:
                    name = name + "_"

        def reconnect(self):
            while True:
                try:
                    return self.conn.execute()
                except ConnectionError:
                    self.conn = connect()

        def after(url):
            for _ in range(3):
                try:
                    fetch(url)
                except ConnectionError:
                    log.warning("failed")
                break

        def nested(url):
            while True:
                try:
                    return fetch(url)
                except ConnectionError:
                    def retry():
                        continue_later()
                    break
        """
    assert lines(code, "XH602") == []


def test_xh602_exempt_types_eintr_and_input() -> None:
    code = """
        import errno

        def a(url):
            while True:
                try:
                    return fetch(url)
                except (socket.timeout, TimeoutError):
                    log.info("still waiting")
                except ValueError:
                    continue
                except IntegrityError:
                    continue
                except InterruptedError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.EINTR:
                        continue
                    raise

        def ask():
            while True:
                try:
                    return int(input("n: "))
                except Exception:
                    print("again")
        """
    assert lines(code, "XH602") == []


def test_xh602_module_level_and_tuples() -> None:
    code = """
        import redis

        while True:
            try:
                client = redis.Redis()
                client.ping()
                break
            except (redis.ConnectionError, redis.TimeoutError):
                pass
        """
    assert run(code, "XH602") == [
        (
            9,
            5,
            "`while True` retries after `except (redis.ConnectionError, redis.TimeoutError):` with no backoff "
            "and no attempt limit: it hammers the failing dependency forever",
        )
    ]


# --- XH603 retry-on-non-transient ----------------------------------------------------------


def test_xh603_loops() -> None:
    code = """
        import time

        def a():
            for attempt in range(3):
                try:
                    return charge()
                except:
                    time.sleep(1)

        def b():
            for attempt in range(3):
                try:
                    return charge()
                except (ConnectionError, AttributeError):
                    time.sleep(1)

        def c():
            for attempt in range(3):
                try:
                    return charge()
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    time.sleep(1)

        def d():
            for attempt in range(3):
                try:
                    return charge()
                except ValueError:
                    raise
                except ConnectionError:
                    time.sleep(1)
        """
    assert run(code, "XH603") == [
        (
            8,
            9,
            "Retries on every exception (bare `except:`), including bugs and bad input that never heal: "
            "retry only transient failures (timeouts, connection errors)",
        ),
        (
            15,
            34,
            "Retries on `AttributeError`, a user or programming error that never heals: retry only transient "
            "failures (timeouts, connection errors)",
        ),
    ]


def test_xh603_decorators_and_retry_objects() -> None:
    code = """
        import backoff
        import stamina
        import tenacity
        from tenacity import retry, retry_if_exception_type, retry_any, Retrying
        from celery import shared_task

        @retry
        def a(): ...

        @tenacity.retry(retry=retry_if_exception_type(ValueError) | retry_if_exception_type(OSError))
        def b(): ...

        @retry(retry=retry_any(retry_if_exception_type(ConnectionError), retry_if_exception_type()))
        def c(): ...

        @backoff.on_exception(backoff.expo, exception=KeyError)
        def d(): ...

        @stamina.retry(on=Exception, attempts=3)
        def e(): ...

        @shared_task(autoretry_for=(ConnectionError, TypeError))
        def f(): ...

        @retry(retry=tenacity.retry_if_exception_type(ConnectionError))
        def ok(): ...

        @retry(retry=tenacity.retry_if_result(lambda r: r is None))
        def ok2(): ...

        def g():
            for attempt in Retrying(stop=tenacity.stop_after_attempt(3)):
                with attempt:
                    charge()
        """
    assert lines(code, "XH603") == [8, 11, 14, 17, 20, 23, 33]


def test_xh603_test_code_is_exempt() -> None:
    code = """
        from tenacity import retry, stop_after_attempt

        @retry(stop=stop_after_attempt(30))
        def wait_until_ready():
            assert service.ready()
        """
    assert lines(code, "XH603", path="tests/smoke/test_service.py") == []
    assert lines(code, "XH603") == [4]


# --- XH604 mixed-impact-handler ------------------------------------------------------------


def test_xh604_cases() -> None:
    code = """
        import requests
        from sqlalchemy.exc import OperationalError

        def f():
            try:
                run()
            except (requests.ConnectionError, KeyError):
                return None
            except (OSError, ValueError):       # plain OSError: a local file as often as an outage
                return None
            except (TimeoutError, TypeError):   # TypeError: a programming guard
                return None
            except (OperationalError, LookupError) as err:
                if isinstance(err, LookupError):
                    return 404
                return 503
            except (ConnectionError, TimeoutError):
                return None
            except ValueError:
                return None

        try:
            run()
        except* (OperationalError, ValueError):
            pass
        """
    assert lines(code, "XH604") == [8, 25]


# --- XH605 unobserved-task -----------------------------------------------------------------


def test_xh605_cases() -> None:
    code = """
        import asyncio
        import asyncio as aio
        from asyncio import create_task

        tasks = set()

        async def main(loop):
            asyncio.create_task(job())
            aio.ensure_future(job())
            create_task(job())
            loop.create_task(job())
            asyncio.get_running_loop().create_task(job())
            self.event_loop.create_task(job())
            t = asyncio.create_task(job())
            tasks.add(asyncio.create_task(job()))
            await asyncio.create_task(job())
            asyncio.create_task(job()).add_done_callback(tasks.discard)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(job())
            nursery.create_task(job())
            return asyncio.ensure_future(job())

        asyncio.ensure_future(job())

        try:
            pass
        except* OSError:
            asyncio.create_task(report())
        """
    assert lines(code, "XH605") == [9, 10, 11, 12, 13, 14, 24, 29]


# --- all ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XH501", "XH502", "XH503", "XH601", "XH602", "XH603", "XH604", "XH605"])
def test_metadata(code: str) -> None:
    found = rule(code)
    assert found.PREVIEW is True  # every XH5/XH6 rule is below the precision bar for now (docs/precision.md)
    assert found.NAME.replace("-", "_") in found.__module__


# --- false-positive patterns found on the corpus (docs/precision.md) -------------------------


def test_xh502_names_bound_inside_the_try_do_not_count() -> None:
    code = _LOG + """
def probe():
    try:
        job_id = start()
        wait(job_id)
    except OSError:
        logger.error("Probe failed")  # job_id may be unbound here
"""
    assert lines(code, "XH502") == []


def test_xh503_presentation_errors_are_exempt() -> None:
    code = """
        def handle(self, *args, **options):
            try:
                dump(options["app"])
            except LookupError as err:
                raise CommandError(str(err))
            except ValueError as err:
                raise click.BadParameter(str(err))
            except KeyError as err:
                raise RequestValidationError(repr(err))
            except OSError as err:
                raise SystemExit(str(err))

        def __getattr__(self, key):
            try:
                return self._index[key]
            except KeyError as err:
                raise AttributeError(err.args[0]) from err
        """
    assert lines(code, "XH503") == []


def test_xh602_changing_state_is_not_retrying() -> None:
    code = """
        import asyncio

        class Session:
            def create(self):
                while True:
                    self._session_key = self._new_key()
                    try:
                        self.save(must_create=True)
                    except CreateError:
                        continue
                    return

        def find_package(parts):
            while parts:
                parts.pop()
                try:
                    return import_module(".".join(parts))
                except ImportError:
                    continue

        def first(candidates):
            it = iter(candidates)
            while True:
                candidate = next(it)
                try:
                    return connect(candidate)
                except ConnectionError:
                    pass

        async def shielded(task):
            while True:
                try:
                    result = await asyncio.shield(task)
                except asyncio.CancelledError:
                    if task.done():
                        raise
                else:
                    return result
        """
    assert lines(code, "XH602") == []


def test_xh602_a_counter_attribute_does_not_hide_a_retry() -> None:
    code = """
        class Client:
            def fetch(self):
                for _ in range(3):
                    try:
                        return self.http.get("/x")
                    except ConnectionError:
                        self.failures += 1
        """
    assert lines(code, "XH602") == [7]


def test_xh604_reraising_handlers_are_exempt() -> None:
    code = """
        def load(obj):
            try:
                obj.save()
            except (DatabaseError, ConnectionError, ValueError) as e:
                e.args = (f"Could not load {obj.pk}: {e}",)
                raise
        """
    assert lines(code, "XH604") == []
