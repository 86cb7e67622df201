"""Real protocol servers on loopback for the cloud deployments: moto's S3 server and fakesnow's
Snowflake server, started and stopped by the tests."""

import contextlib
import functools
import socket


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@functools.cache
def _fakesnow_server():
    """fakesnow's `server` function, kept: its first call imports the submodule `fakesnow.server`,
    which replaces the package's `server` attribute, so a second server in the same process (a
    second test module) would find a module there ("'module' object is not callable")."""
    import fakesnow

    return fakesnow.server


@contextlib.contextmanager
def snowflake_server():
    with _fakesnow_server()(port=free_port()) as kwargs:
        yield kwargs


def cloud_env(deployment: str, s3_endpoint: str, snowflake: dict, **extra: str) -> dict[str, str]:
    """The environment variables a cloud deployment reads, pointed at the loopback servers."""
    return {
        "RETAIL_DEPLOYMENT": deployment,
        "RETAIL_LAKE_BUCKET": f"retail-{deployment}-lake",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SNOWFLAKE_ACCOUNT": snowflake["account"],
        "SNOWFLAKE_USER": snowflake["user"],
        "SNOWFLAKE_PASSWORD": snowflake["password"],
        "SNOWFLAKE_ROLE": "RETAIL_TRANSFORMER",
        "SNOWFLAKE_WAREHOUSE": "RETAIL_WH",
        "SNOWFLAKE_HOST": snowflake["host"],
        "SNOWFLAKE_PORT": str(snowflake["port"]),
        "SNOWFLAKE_PROTOCOL": snowflake["protocol"],
        # fakesnow cannot read an external stage over moto's bucket: the load PUTs each day instead
        "RETAIL_SNOWFLAKE_STAGE": "none",
        **extra,
    }


def s3_client(endpoint: str):
    """A boto3 S3 client on the loopback server (moto accepts any key pair)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
