#!/usr/bin/env bash
# Build the OpenTelemetry corpus for XH504 (error-hidden-from-trace) and XH401's span sinks:
# pinned wheels of OpenTelemetry-instrumented code from PyPI, unpacked as DEST/<name>-<version>/.
#
# Usage:  bash benchmarks/make-otel-corpus.sh DEST
#   DEST        where the packages are unpacked (required)
#   WHEEL_DIR   where the wheels are downloaded/kept (default: DEST/../otel-wheels)
#   PYTHON      interpreter whose pip is used (default: python3)
#
# Two groups:
#   - contrib: every instrumentation package of opentelemetry-python-contrib at its current
#     release (0.66b1/0.66b2; elasticsearch's newest is 0.64b0), plus the
#     `opentelemetry-instrumentation` base package;
#   - apps: other real OpenTelemetry-instrumented code on PyPI: OpenLLMetry's instrumentations
#     and traceloop-sdk, OpenLIT, Logfire (logfire-sdk: `logfire` is a metapackage), the
#     OpenTelemetry SDK itself, Azure's core tracing plugin, OpenInference's OpenAI
#     instrumentation and opentelemetry-util-genai; and frameworks and services that start their
#     own spans around their own work (Prefect, CrewAI, Semantic Kernel, AutoGen, Strands Agents,
#     Google ADK, Pydantic AI, Langfuse, OpenAI Agents, MLflow, BentoML, Arize Phoenix, DBOS,
#     FastStream, Feast, Hatchet, Laminar, Open WebUI).
# Wheels, not sdists: they are pure Python (py3-none-any), need no build step to download, and
# hold exactly the code users install (the sdists add the packages' test suites).
# Every wheel is checked against its pinned sha256, so a rebuild is byte-identical. Only PyPI
# is needed. Only the .py files are kept.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: bash benchmarks/make-otel-corpus.sh DEST" >&2
  exit 2
fi
DEST=${1%/}
WHEEL_DIR=${WHEEL_DIR:-$(dirname "$DEST")/otel-wheels}
PYTHON=${PYTHON:-python3}

# name  version  wheel file  sha256
PINS=(
  "opentelemetry-instrumentation|0.66b2|opentelemetry_instrumentation-0.66b2-py3-none-any.whl|fa9ccfdab147a14af8107d19ef0a7b5015675273c5adced7a1fc38f28b42ec4c"
  "opentelemetry-instrumentation-aio-pika|0.66b1|opentelemetry_instrumentation_aio_pika-0.66b1-py3-none-any.whl|72ae37f1a579151b404635145efa92d97e24384505bc123f24532e98e400e764"
  "opentelemetry-instrumentation-aiohttp-client|0.66b1|opentelemetry_instrumentation_aiohttp_client-0.66b1-py3-none-any.whl|bb3d412ae30e83e0692c8e9b600c5990bdab736c7c048847461b4567d504078d"
  "opentelemetry-instrumentation-aiohttp-server|0.66b1|opentelemetry_instrumentation_aiohttp_server-0.66b1-py3-none-any.whl|8235ea53d1945c5b85ea6b3f7bb3485ff56f6319d566123bad2f08fdf5fd3dba"
  "opentelemetry-instrumentation-aiokafka|0.66b1|opentelemetry_instrumentation_aiokafka-0.66b1-py3-none-any.whl|6a13ce65a2557b03989e0c096dfe02ee038ca16e5a191cb6b0b08de318bece6f"
  "opentelemetry-instrumentation-aiopg|0.66b1|opentelemetry_instrumentation_aiopg-0.66b1-py3-none-any.whl|aa4606515172b23c8c70c5afa3254e408ff1eace4862a7167f0e8b24d6a768e0"
  "opentelemetry-instrumentation-asgi|0.66b2|opentelemetry_instrumentation_asgi-0.66b2-py3-none-any.whl|9c5ec36e6b898f18e6b07b5077c2a3bafa9abf69de98e729797b9efa465f8aa3"
  "opentelemetry-instrumentation-asyncclick|0.66b1|opentelemetry_instrumentation_asyncclick-0.66b1-py3-none-any.whl|5f64d6592c10802f4c547a2dd53160c11271eef1e0b5d87ed4c5a1549c38658d"
  "opentelemetry-instrumentation-asyncio|0.66b1|opentelemetry_instrumentation_asyncio-0.66b1-py3-none-any.whl|026585c60432672bf9efd03ef428f1eeec6c1607ee307aa5916eaca6567a8887"
  "opentelemetry-instrumentation-asyncpg|0.66b1|opentelemetry_instrumentation_asyncpg-0.66b1-py3-none-any.whl|7fe611aa899ac59f4a34b05e817a61f4011dc50d1545c4f48b77a4c62e663f05"
  "opentelemetry-instrumentation-aws-lambda|0.66b1|opentelemetry_instrumentation_aws_lambda-0.66b1-py3-none-any.whl|48a237c5418f5a00d366822f17bd271514be7e2cec18e28cbd4b0dfed88183a8"
  "opentelemetry-instrumentation-boto3sqs|0.66b1|opentelemetry_instrumentation_boto3sqs-0.66b1-py3-none-any.whl|71cee26e1bd5d7fda6bf41afb427937d8d91115b7fb1699691a8c63857a14646"
  "opentelemetry-instrumentation-botocore|0.66b2|opentelemetry_instrumentation_botocore-0.66b2-py3-none-any.whl|a32d73c8c4bccbbeed56fe292077c8e4b474dca15955c1579905578609de0051"
  "opentelemetry-instrumentation-cassandra|0.66b1|opentelemetry_instrumentation_cassandra-0.66b1-py3-none-any.whl|c0138995fa99b6a37a6b66bfa714dcdae72ae5323d0dd17edae14135d7793578"
  "opentelemetry-instrumentation-celery|0.66b2|opentelemetry_instrumentation_celery-0.66b2-py3-none-any.whl|ebd105e957a92c1e002ced628f8948a19334296183f6d558eeab9fa406b84406"
  "opentelemetry-instrumentation-click|0.66b1|opentelemetry_instrumentation_click-0.66b1-py3-none-any.whl|8c310f8a96cb0d7cd858e8644ca56f6f9a52674be404b87d8ed497869882d1f1"
  "opentelemetry-instrumentation-confluent-kafka|0.66b1|opentelemetry_instrumentation_confluent_kafka-0.66b1-py3-none-any.whl|c3f067b0537817c1a8d311f8aeb0e510bceb2fdec98bc6223b4b7c9cea9d0608"
  "opentelemetry-instrumentation-dbapi|0.66b1|opentelemetry_instrumentation_dbapi-0.66b1-py3-none-any.whl|a38043a8a907a321ae6b838f778ad19c8e78c0bfc2f336d6d30c5fdce112e88d"
  "opentelemetry-instrumentation-django|0.66b1|opentelemetry_instrumentation_django-0.66b1-py3-none-any.whl|23d1052940a025ae1dac70849b998cf9ba66731fa2b7e58254ab7dac5539a989"
  "opentelemetry-instrumentation-exceptions|0.66b1|opentelemetry_instrumentation_exceptions-0.66b1-py3-none-any.whl|10ce7cdb3aff38496ae370d1f2955df60b1e0ce2858dae6cd6f568f6ba3e5d53"
  "opentelemetry-instrumentation-falcon|0.66b1|opentelemetry_instrumentation_falcon-0.66b1-py3-none-any.whl|8cb10d952e1897b0907a05a0d1efa8bce311614d244a62e7d6b10b02e3f64db5"
  "opentelemetry-instrumentation-fastapi|0.66b2|opentelemetry_instrumentation_fastapi-0.66b2-py3-none-any.whl|401eb9fe58cc86015ac0a6682dcaf1b4bcea32c428969853d02171d6650d1774"
  "opentelemetry-instrumentation-flask|0.66b1|opentelemetry_instrumentation_flask-0.66b1-py3-none-any.whl|2933e71b94cc9e8e943e648d872fd3dead9cdb61295dc6deffd5d6fa8f27a39b"
  "opentelemetry-instrumentation-grpc|0.66b2|opentelemetry_instrumentation_grpc-0.66b2-py3-none-any.whl|bfa75d83b7080c46e0abd3f66af3be839d27d5c809a25e40a3fa0dd8012af40d"
  "opentelemetry-instrumentation-httpx|0.66b2|opentelemetry_instrumentation_httpx-0.66b2-py3-none-any.whl|93e2b6ab1a505d76ec3d98abcf7e8527d4712167d6c3b5ebbb9c68d9309d9ba5"
  "opentelemetry-instrumentation-jinja2|0.66b1|opentelemetry_instrumentation_jinja2-0.66b1-py3-none-any.whl|5b9a119a650dd91fa07ba0e0e7c60a872ea94babd9d2f88cddad3f9a80131f94"
  "opentelemetry-instrumentation-kafka-python|0.66b1|opentelemetry_instrumentation_kafka_python-0.66b1-py3-none-any.whl|4fec4441aad9116605f0523b656c694c3d38cf7704aca3a5fd26267a3cf10a91"
  "opentelemetry-instrumentation-logging|0.66b1|opentelemetry_instrumentation_logging-0.66b1-py3-none-any.whl|f13761110c52eecae9d7debedb0f88b46acc248c20437e97c2a5b3a2b4f96a02"
  "opentelemetry-instrumentation-mysql|0.66b1|opentelemetry_instrumentation_mysql-0.66b1-py3-none-any.whl|9f6ae7627812a15fddf035f3f2862c7c04fbcc23c98774a8a09d40c746a335d0"
  "opentelemetry-instrumentation-mysqlclient|0.66b1|opentelemetry_instrumentation_mysqlclient-0.66b1-py3-none-any.whl|a451dc08832bfc01aa53ba30007384ec7b47c8f09db24c414a5aa0da9479e252"
  "opentelemetry-instrumentation-pika|0.66b1|opentelemetry_instrumentation_pika-0.66b1-py3-none-any.whl|1a5ea62f37537deefbb6673a2804421e82017deaf967053260201463fa973b54"
  "opentelemetry-instrumentation-psycopg|0.66b1|opentelemetry_instrumentation_psycopg-0.66b1-py3-none-any.whl|67c1ef5f8a3bc76eb5b64f6c4d2d9ab0901c8ca164587eb4582a126cffb7004a"
  "opentelemetry-instrumentation-psycopg2|0.66b1|opentelemetry_instrumentation_psycopg2-0.66b1-py3-none-any.whl|e69ef26a8e50d7ac2149a89b5e0f66c1fe5c06c3355a2068b845d83742139348"
  "opentelemetry-instrumentation-pymemcache|0.66b1|opentelemetry_instrumentation_pymemcache-0.66b1-py3-none-any.whl|56c211af460634e76bdf2eec98671f0283d8594ba0e59dfe1c84af8f9706489e"
  "opentelemetry-instrumentation-pymongo|0.66b1|opentelemetry_instrumentation_pymongo-0.66b1-py3-none-any.whl|a1b8ee770f769226b4b98c972d2ebfa770dbf81a230e7bbaa662c85e4a122ee0"
  "opentelemetry-instrumentation-pymssql|0.66b1|opentelemetry_instrumentation_pymssql-0.66b1-py3-none-any.whl|852928a61a13a1b1f3bdffb666aadcf2cf883e69a06cd433e9f95de11cd445f6"
  "opentelemetry-instrumentation-pymysql|0.66b1|opentelemetry_instrumentation_pymysql-0.66b1-py3-none-any.whl|aa1d1e7d9a1a63341db24e990c5deb7554b3912f81c5e8ba80700d2c76517641"
  "opentelemetry-instrumentation-pyramid|0.66b1|opentelemetry_instrumentation_pyramid-0.66b1-py3-none-any.whl|20f0ef859f96a95e15445d8fe695889a9aab926292e7503129e4f3133ca88356"
  "opentelemetry-instrumentation-redis|0.66b2|opentelemetry_instrumentation_redis-0.66b2-py3-none-any.whl|49c729ec4036020a8f9a0bfb84760d42215d3fbfbc4aa1ec89c6199f67c045b0"
  "opentelemetry-instrumentation-remoulade|0.66b1|opentelemetry_instrumentation_remoulade-0.66b1-py3-none-any.whl|900eb6afe12f7c0add765529c2017b431238cb819b57c62fb268b0ea723cc00e"
  "opentelemetry-instrumentation-requests|0.66b2|opentelemetry_instrumentation_requests-0.66b2-py3-none-any.whl|b0ba903a0bd7ebb234c8b32d3d957efc4061ba8571916558dc3f3dcdabb5e5e1"
  "opentelemetry-instrumentation-sqlalchemy|0.66b1|opentelemetry_instrumentation_sqlalchemy-0.66b1-py3-none-any.whl|aa30b10d880d7e91cf94b23a92ac85cec09ffddd8f0d40256d7c510e3dd33971"
  "opentelemetry-instrumentation-sqlite3|0.66b1|opentelemetry_instrumentation_sqlite3-0.66b1-py3-none-any.whl|f282b712f56186c36d592d4ab856d978bc7dd60f4b10500113da8c9eb45ff9bc"
  "opentelemetry-instrumentation-starlette|0.66b1|opentelemetry_instrumentation_starlette-0.66b1-py3-none-any.whl|1ac11a70e345b57a4259f4a47311101b9eafa3b30d4133df25b36b2e6dfc2c88"
  "opentelemetry-instrumentation-structlog|0.66b1|opentelemetry_instrumentation_structlog-0.66b1-py3-none-any.whl|3383d1714e691f15c7ef6c349be3bb5e550a8c6b1012f0acafca790c6da194e1"
  "opentelemetry-instrumentation-system-metrics|0.66b2|opentelemetry_instrumentation_system_metrics-0.66b2-py3-none-any.whl|da97942ec373e79e71ee6e72b0d78044ab87dd0c869429dfa8f825c7d8d51fe5"
  "opentelemetry-instrumentation-threading|0.66b1|opentelemetry_instrumentation_threading-0.66b1-py3-none-any.whl|94039c60603060d26524e31aed1181a5d153e43f58462d110dbeb4830687d7d7"
  "opentelemetry-instrumentation-tornado|0.66b1|opentelemetry_instrumentation_tornado-0.66b1-py3-none-any.whl|6601f13698e80a89de1fcbe00bad845368c053aec54819bcab1c5628b6fa4cc1"
  "opentelemetry-instrumentation-tortoiseorm|0.66b1|opentelemetry_instrumentation_tortoiseorm-0.66b1-py3-none-any.whl|4a648a2387620645ae74efdb566e40a2bdb7db8a700416e2eb475b72f7e9385d"
  "opentelemetry-instrumentation-urllib|0.66b1|opentelemetry_instrumentation_urllib-0.66b1-py3-none-any.whl|6f679d785ebcb04b791a889d8a9c0e8edf897a85ab80a7a12b0139c461b14627"
  "opentelemetry-instrumentation-urllib3|0.66b1|opentelemetry_instrumentation_urllib3-0.66b1-py3-none-any.whl|e48b448fed4a127e54c584c37a443c91d80d34b9f9de324af9a00cead8b338b8"
  "opentelemetry-instrumentation-wsgi|0.66b1|opentelemetry_instrumentation_wsgi-0.66b1-py3-none-any.whl|8c86390c32fe8d0924b3541f292122d3a2ba6c3accc2bcbcc73ae985ee8e799e"
  "opentelemetry-instrumentation-elasticsearch|0.64b0|opentelemetry_instrumentation_elasticsearch-0.64b0-py3-none-any.whl|26043516b9f37ba5d68d2bb2e6493c09615e59e74f53d5561cb2e84fa299ace4"
  "opentelemetry-instrumentation-openai|0.62.4|opentelemetry_instrumentation_openai-0.62.4-py3-none-any.whl|2a88073a6998d00a4b9371c51760c11679af0c2377511db8fadd1bf6b75d5a84"
  "opentelemetry-instrumentation-anthropic|0.62.4|opentelemetry_instrumentation_anthropic-0.62.4-py3-none-any.whl|90fc6cc948f3f1b4bff762859ac54b82b5f99e9444538dee3690d73803508db4"
  "opentelemetry-instrumentation-langchain|0.62.4|opentelemetry_instrumentation_langchain-0.62.4-py3-none-any.whl|d84871c34e4bb972a6047bbed5e891a4d6b97fcb0a188c4713e9ed56b2444ae3"
  "opentelemetry-instrumentation-bedrock|0.62.4|opentelemetry_instrumentation_bedrock-0.62.4-py3-none-any.whl|28ee474b78f1d9a078a811d4ff46d21d912b89ad79e35ebc06d134e5aee6091c"
  "opentelemetry-instrumentation-mcp|0.62.4|opentelemetry_instrumentation_mcp-0.62.4-py3-none-any.whl|435d9b2e0d9267d69eb1d845373110869d9a60b89445457902a632a7699c85ed"
  "traceloop-sdk|0.62.4|traceloop_sdk-0.62.4-py3-none-any.whl|0f7bb433ca1324ab55d099c6aa583c9e7ed1f4d6ad8942ead964965c54b94295"
  "openlit|1.45.0|openlit-1.45.0-py3-none-any.whl|9616c3210410649403280b6fbae770c11add04a776136db7ef2c60634821c25e"
  "logfire-sdk|5.4.0|logfire_sdk-5.4.0-py3-none-any.whl|81901c0d7e44e1daaeec5b512e177d09489f35e52b6cc2ae717efa3250a061d1"
  "opentelemetry-sdk|1.45.2|opentelemetry_sdk-1.45.2-py3-none-any.whl|ff974ea70ee4f1d51e2ec152db37c2b626c7bf82bb3f7d86114fd8704e7199c6"
  "azure-core-tracing-opentelemetry|1.0.0b13|azure_core_tracing_opentelemetry-1.0.0b13-py3-none-any.whl|4dacd3a9f117f11f98e89305e161c951b8df85b984f3b56130614de9cd9887f9"
  "openinference-instrumentation-openai|0.1.66|openinference_instrumentation_openai-0.1.66-py3-none-any.whl|cef7ea684f23eb3501f850fc8baebd84c034e17737d6e50172f1e87e2e4a1843"
  "opentelemetry-util-genai|1.3b0|opentelemetry_util_genai-1.3b0-py3-none-any.whl|73ed59f1eeca33d6c41e6aff57b5d2c1133807bfc8832978ba3edeec7eab8cda"
  # frameworks and services that start their own spans around their own work
  "prefect|3.9.1|prefect-3.9.1-py3-none-any.whl|0c662e26e971b617993eed1f3d02fb8bc3c2dd47bee521b495f6e4dfeb38ae74"
  "crewai|1.15.30|crewai-1.15.30-py3-none-any.whl|a54909d778971a7ef21b6a1d52a59090fcc3e1c3fb09bb5ea5b117e6157e0e65"
  "semantic-kernel|1.45.0|semantic_kernel-1.45.0-py3-none-any.whl|57b744fa7dc00cc3c151145bc0420684346b72230ba6620a8fbdd7c6345b6f81"
  "autogen-core|0.7.5|autogen_core-0.7.5-py3-none-any.whl|4f4a0d3b88a36da75b2ef0d40be2d5e3a207cae7f7d951511e498ad1d68f8ef4"
  "strands-agents|1.62.0|strands_agents-1.62.0-py3-none-any.whl|331c94c61a5ddf2c4f06dfd877551bdd1d0bfee5ea89b76d6c546b65ea2104e1"
  "google-adk|2.13.0|google_adk-2.13.0-py3-none-any.whl|bec4c4ee0aa3e63a2243c23365c5aef666ea539bc48c78dfbbf004dbddfc5f00"
  "pydantic-ai-slim|2.68.0|pydantic_ai_slim-2.68.0-py3-none-any.whl|bb2fe81f198b77da7686f7b78c78c8a8ce966807c77d9ae277950fc20b77b165"
  "langfuse|5.0.4|langfuse-5.0.4-py3-none-any.whl|6ab4ddcbc4b33efbd9c7f5feb405bfb0060949e7a170f7410f8fcc52984887a7"
  "openai-agents|0.24.0|openai_agents-0.24.0-py3-none-any.whl|18d4ac34e84ed937333ec8ce46395ed3521ffcbb0a521780a4c2eaa451467f49"
  "mlflow-skinny|3.17.2|mlflow_skinny-3.17.2-py3-none-any.whl|31be9190494212ccd94774170fd06f6fe04d209aae3923eefd16f9bf7830d63c"
  "bentoml|1.4.40|bentoml-1.4.40-py3-none-any.whl|ba98c57c60f4ac0879cb8b0ae280ed42f96a26cccd0f83edcb8339d0634d9678"
  "arize-phoenix|20.26.1|arize_phoenix-20.26.1-py3-none-any.whl|dd318844cba1d7021d8accaa995b7f3716d559eab4afb549dfb1017dd51bab56"
  "dbos|3.4.0|dbos-3.4.0-py3-none-any.whl|78f6015dbcfffb1a981a371a37a46b1991949b3bf9b5f03d1588f53475081912"
  "faststream|0.7.8|faststream-0.7.8-py3-none-any.whl|ffe412278cf116216078dcf29dcec93274994a98d036be2bc388071dff7e259e"
  "feast|0.67.0|feast-0.67.0-py3-none-any.whl|98667313ae7663f3312174590461e28081112f46d982710867d4b97e0b0f2c66"
  "hatchet-sdk|1.43.1|hatchet_sdk-1.43.1-py3-none-any.whl|774e296482ca2c5d762bcbf8e4613b45da86b9d604c9b8e0a081ff8a26c63073"
  "lmnr|0.8.2|lmnr-0.8.2-py3-none-any.whl|aaa5010862dbe56b8fe2a45d4eccf3ef4dee85a1bfbabce141d161ff403a14b7"
  "open-webui|0.12.4|open_webui-0.12.4-py3-none-any.whl|02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6"
)

mkdir -p "$DEST" "$WHEEL_DIR"

req=$(mktemp)
trap 'rm -f "$req"' EXIT
for p in "${PINS[@]}"; do
  IFS='|' read -r name ver file sha <<<"$p"
  if ! echo "$sha  $WHEEL_DIR/$file" | sha256sum -c --status 2>/dev/null; then
    echo "$name==$ver --hash=sha256:$sha" >>"$req"
  fi
done
if [ -s "$req" ]; then
  "$PYTHON" -m pip download --no-deps --only-binary :all: --require-hashes \
    -r "$req" -d "$WHEEL_DIR"
fi

for p in "${PINS[@]}"; do
  IFS='|' read -r name ver file sha <<<"$p"
  echo "$sha  $WHEEL_DIR/$file" | sha256sum -c --quiet
  out="$DEST/$name-$ver"
  rm -rf "$out"
  mkdir -p "$out"
  "$PYTHON" - "$WHEEL_DIR/$file" "$out" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    wheel.extractall(sys.argv[2], [n for n in wheel.namelist() if n.endswith(".py")])
PY
done
# logfire-sdk ships the same package twice (`logfire/` and a vendored `_logfire_sdk/logfire/`):
# keep one copy so that no finding is counted twice.
rm -rf "$DEST"/logfire-sdk-*/_logfire_sdk

printf '%-58s %6s %8s\n' package files lines
tf=0; tl=0
for p in "${PINS[@]}"; do
  IFS='|' read -r name ver file sha <<<"$p"
  d="$DEST/$name-$ver"
  f=$(find "$d" -type f -name '*.py' | wc -l)
  l=$(find "$d" -type f -name '*.py' -print0 | xargs -0 cat | wc -l)
  printf '%-58s %6d %8d\n' "$name-$ver" "$f" "$l"
  tf=$((tf + f)); tl=$((tl + l))
done
printf '%-58s %6d %8d\n' total "$tf" "$tl"
