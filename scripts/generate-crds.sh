#!/usr/bin/env bash
# Regenerates crds/*.yaml from the Java CRD model (k8s-adapter, package io.agentsandbox.k8s.crd):
# crd-generator-maven-plugin writes target/classes/META-INF/fabric8/*-v1.yml, and CrdsUpToDateTest in
# update mode copies them to crds/<group>_<plural>.yaml (printer columns in declared order).
# Run it after changing a CRD class; CrdsUpToDateTest fails the build while crds/ is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp "$@" -pl core,k8s-adapter -am test -Dtest=CrdsUpToDateTest \
  -Dsurefire.failIfNoSpecifiedTests=false -Dagentsandbox.crds.update=true
ls -1 crds/*.yaml
