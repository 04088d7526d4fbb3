# Container image of the agent-sandbox server, from the plain distribution built by Maven.
#   mvn -B -ntp package -pl scheduler -am -DskipTests          # -> scheduler/target/agent-sandbox-server-<version>.tar.gz
#   docker build -t <registry>/agent-sandbox-server:<tag> --build-arg VERSION=<version> .
#   docker push <registry>/agent-sandbox-server:<tag>
# Runs as uid/gid 65532 (non-root) and needs no writable root filesystem: mount /tmp (and
# /var/lib/agent-sandbox for --state-dir) as emptyDir volumes, as the Helm chart does.
# Not built in this repository's CI (no container engine there); the distribution it wraps is tested
# by scripts/chart-check.sh.
FROM eclipse-temurin:17-jre-jammy
ARG VERSION=0.1.0-SNAPSHOT
# ADD unpacks a local tar.gz: /opt/agent-sandbox-server-<version>/{bin,lib,crds,README.md}
ADD scheduler/target/agent-sandbox-server-${VERSION}.tar.gz /opt/
RUN ln -s /opt/agent-sandbox-server-${VERSION} /opt/agent-sandbox-server \
 && mkdir -p /var/lib/agent-sandbox \
 && chown 65532:65532 /var/lib/agent-sandbox
ENV AGENT_SANDBOX_HOST=0.0.0.0 \
    AGENT_SANDBOX_PORT=8080 \
    AGENT_SANDBOX_STATE_DIR=/var/lib/agent-sandbox \
    AGENT_SANDBOX_POOLS_DIR=/opt/agent-sandbox-server/crds/examples
USER 65532:65532
WORKDIR /var/lib/agent-sandbox
EXPOSE 8080
ENTRYPOINT ["/opt/agent-sandbox-server/bin/agent-sandbox-server"]
