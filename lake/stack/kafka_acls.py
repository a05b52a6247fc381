"""Who may do what on the lake's Kafka (docs/security.md "Kafka"): the ACLs of each principal as data, and the
idempotent steps `make up` runs once the broker answers: every principal's SCRAM credential and every ACL.

The broker denies whatever no ACL allows (allow.everyone.if.no.acl.found=false); the broker and the admin are
super users (server.properties). Operations follow Kafka's implications: READ and WRITE include DESCRIBE.

This module is the credential bootstrap: the only code that generates a principal's password
(secrets.kafka_password(..., create=True)); every client only reads one."""
from __future__ import annotations

from dataclasses import dataclass

from lake import secrets
from lake.runtime import clients
from lake.settings import (COMPLY_GROUP, KAFKA_BRIDGE, KAFKA_BROWSER, KAFKA_COMPLY, KAFKA_PRINCIPALS,
                           KAFKA_PRODUCER, KAFKA_SINK, KAFKA_SPEED, RAW_SINK_GROUP, SPEED_GROUP_PREFIX,
                           TOPIC_BROWSER_GROUP, TOPIC_COMPLIANCE, TOPIC_DLQ, TOPIC_RAW, Settings)

# librdkafka's default and Kafka's minimum for SCRAM-SHA-512.
SCRAM_ITERATIONS = 4096


@dataclass(frozen=True)
class Grant:
    """ALLOW `operations` on one resource for one principal, from any host."""

    principal: str
    resource: str          # TOPIC | GROUP | CLUSTER
    name: str              # a topic or group name, a prefix (pattern PREFIXED), or "*"
    operations: tuple[str, ...]
    pattern: str = "LITERAL"  # LITERAL | PREFIXED


def _writes(principal: str, *topics: str) -> list[Grant]:
    return [Grant(principal, "TOPIC", t, ("WRITE",)) for t in topics]


GRANTS: tuple[Grant, ...] = (
    # `make ingest`: records to tweets.raw, rejects to tweets.dlq, compliance events to tweets.compliance;
    # it waits for the sink by reading the sink group's committed offsets (DESCRIBE, not READ).
    *_writes(KAFKA_PRODUCER, TOPIC_RAW, TOPIC_DLQ, TOPIC_COMPLIANCE),
    Grant(KAFKA_PRODUCER, "GROUP", RAW_SINK_GROUP, ("DESCRIBE",)),
    # The MQTT bridge produces like `make ingest` (records and rejects).
    *_writes(KAFKA_BRIDGE, TOPIC_RAW, TOPIC_DLQ),
    # The raw sink reads tweets.raw and commits as its own group.
    Grant(KAFKA_SINK, "TOPIC", TOPIC_RAW, ("READ",)),
    Grant(KAFKA_SINK, "GROUP", RAW_SINK_GROUP, ("READ",)),
    # The speed layer (Spark's Kafka source) reads tweets.raw, and tweets.compliance for the removals serving.tweets
    # hides within a trigger; its group ids start with SPEED_GROUP_PREFIX.
    Grant(KAFKA_SPEED, "TOPIC", TOPIC_RAW, ("READ",)),
    Grant(KAFKA_SPEED, "TOPIC", TOPIC_COMPLIANCE, ("READ",)),
    Grant(KAFKA_SPEED, "GROUP", SPEED_GROUP_PREFIX, ("READ",), "PREFIXED"),
    # `make comply` reads tweets.compliance as its group and sends a bad line to tweets.dlq.
    Grant(KAFKA_COMPLY, "TOPIC", TOPIC_COMPLIANCE, ("READ",)),
    Grant(KAFKA_COMPLY, "GROUP", COMPLY_GROUP, ("READ",)),
    *_writes(KAFKA_COMPLY, TOPIC_DLQ),
    # The topic browser: describe and read every topic and its configs, describe every group (lag).
    Grant(KAFKA_BROWSER, "TOPIC", "*", ("READ", "DESCRIBE_CONFIGS")),
    Grant(KAFKA_BROWSER, "GROUP", "*", ("DESCRIBE",)),
    Grant(KAFKA_BROWSER, "GROUP", TOPIC_BROWSER_GROUP, ("READ",)),
)


def retarget(prefix: str, grants: tuple[Grant, ...] = GRANTS) -> tuple[Grant, ...]:
    """The grants on the lake's topics, moved to a sandbox's prefixed copies of them (the access test runs
    the very same rules on its own topics, so it never writes to the lake's)."""
    own = (TOPIC_RAW, TOPIC_DLQ, TOPIC_COMPLIANCE)
    return tuple(Grant(g.principal, g.resource, prefix + g.name, g.operations, g.pattern)
                 for g in grants if g.resource == "TOPIC" and g.name in own)


def bindings(grants: tuple[Grant, ...] = GRANTS) -> list:
    """confluent-kafka AclBindings of the grants, one per operation."""
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, ResourcePatternType,
                                       ResourceType)

    return [AclBinding(ResourceType[g.resource], "kafka-cluster" if g.resource == "CLUSTER" else g.name,
                       ResourcePatternType[g.pattern], f"User:{g.principal}", "*", AclOperation[op],
                       AclPermissionType.ALLOW)
            for g in grants for op in g.operations]


def format_scram_args(s: Settings) -> list[str]:
    """`kafka-storage format` arguments that create every principal's credential with a new cluster (KIP-900)."""
    args = []
    for p in KAFKA_PRINCIPALS:
        args += ["--add-scram", f"SCRAM-SHA-512=[name={p},password={secrets.kafka_password(s, p, create=True)}]"]
    return args


def jaas(s: Settings, principal: str, password: str | None = None) -> str:
    """The broker's JAAS file: its SCRAM login on the client listener (KafkaServer), and on the controller
    listener its PLAIN login with the one user that listener accepts (controller.KafkaServer). A worker's broker
    passes the `password` it was given (lake/stack/kafka.py): only the coordinator generates it."""
    pw = password or secrets.kafka_password(s, principal, create=True)
    return ("KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required\n"
            f'  username="{principal}" password="{pw}";\n}};\n'
            "controller.KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n"
            f'  username="{principal}" password="{pw}" user_{principal}="{pw}";\n}};\n')


def upsert_credentials(s: Settings, timeout: float = 30, plaintext: bool = False) -> int:
    """Every principal's SCRAM credential, set to its current password (idempotent: a new salt, same password).
    A cluster formatted before a principal existed gets it here; a rotated password takes effect here.
    `plaintext`: once, on a cluster that still runs the former PLAINTEXT listener without an authorizer (the
    switch of an existing lake, docs/security.md "Kafka"): there is no admin login yet to use."""
    from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    ups = [UserScramCredentialUpsertion(p, info, secrets.kafka_password(s, p, create=True).encode())
           for p in KAFKA_PRINCIPALS]
    admin = AdminClient({"bootstrap.servers": s.kafka_bootstrap} if plaintext else clients.kafka_config(s))
    for fut in admin.alter_user_scram_credentials(ups, request_timeout=timeout).values():
        fut.result(timeout)
    return len(ups)


def apply(s: Settings, timeout: float = 30) -> str:
    """Credentials and ACLs, idempotently (creating an ACL that exists is a no-op). ACLs of the lake's
    principals that are no longer in GRANTS are removed, so a narrowed grant narrows the broker too."""
    from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, AdminClient
    from confluent_kafka.admin import ResourcePatternType, ResourceType

    n = upsert_credentials(s, timeout)
    admin = AdminClient(clients.kafka_config(s))
    wanted = bindings()
    for fut in admin.create_acls(wanted, request_timeout=timeout).values():
        fut.result(timeout)
    every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                             AclPermissionType.ANY)
    present = admin.describe_acls(every, request_timeout=timeout).result(timeout)
    keep = {_key(b) for b in wanted}
    ours = {f"User:{p}" for p in KAFKA_PRINCIPALS}
    stale = [b for b in present if b.principal in ours and _key(b) not in keep]
    if stale:
        filters = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation,
                                    b.permission_type) for b in stale]
        for fut in admin.delete_acls(filters, request_timeout=timeout).values():
            fut.result(timeout)
    return f"Kafka: {n} SCRAM credentials, {len(wanted)} ACLs" + (f", {len(stale)} stale removed" if stale else "")


def _key(b) -> tuple:
    return (b.restype.name, b.name, b.resource_pattern_type.name, b.principal, b.host, b.operation.name,
            b.permission_type.name)
