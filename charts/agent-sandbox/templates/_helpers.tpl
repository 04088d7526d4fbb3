{{/* Chart name. */}}
{{- define "agent-sandbox.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix. */}}
{{- define "agent-sandbox.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of the server pods. */}}
{{- define "agent-sandbox.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent-sandbox.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: scheduler
{{- end -}}

{{/* Common labels. */}}
{{- define "agent-sandbox.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "agent-sandbox.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agent-sandbox
{{- end -}}

{{- define "agent-sandbox.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "agent-sandbox.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "agent-sandbox.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "agent-sandbox.authSecretName" -}}
{{- default (printf "%s-api-tokens" (include "agent-sandbox.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "agent-sandbox.agentKeySecretName" -}}
{{- default (printf "%s-agent-key" (include "agent-sandbox.fullname" .)) .Values.agent.existingKeySecret -}}
{{- end -}}

{{- define "agent-sandbox.agentImage" -}}
{{- printf "%s:%s" .Values.agent.image.repository (default .Chart.AppVersion .Values.agent.image.tag) -}}
{{- end -}}

{{- define "agent-sandbox.leaseName" -}}
{{- default (printf "%s-leader" (include "agent-sandbox.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "agent-sandbox.poolsNamespace" -}}
{{- default .Release.Namespace .Values.pools.namespace -}}
{{- end -}}

{{/* The enabled pools' SandboxTemplate + SandboxWarmPool documents (used by pools.yaml and the
     pools ConfigMap, so the cluster objects and the server's --pools-dir say the same). */}}
{{- define "agent-sandbox.poolDocuments" -}}
{{- $ns := include "agent-sandbox.poolsNamespace" . -}}
{{- range $p := .Values.pools.items }}
{{- if $p.enabled }}
---
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxTemplate
metadata:
  name: {{ $p.name }}
  namespace: {{ $ns }}
  labels:
    {{- include "agent-sandbox.labels" $ | nindent 4 }}
spec:
  {{- with $p.networkPolicyManagement }}
  networkPolicyManagement: {{ . }}
  {{- end }}
  podTemplate:
    spec:
      {{- $spec := deepCopy (default dict $p.podSpec) }}
      {{- if $p.runtimeClassName }}
      {{- $_ := set $spec "runtimeClassName" $p.runtimeClassName }}
      {{- end }}
      {{- toYaml $spec | nindent 6 }}
---
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxWarmPool
metadata:
  name: {{ $p.name }}
  namespace: {{ $ns }}
  labels:
    {{- include "agent-sandbox.labels" $ | nindent 4 }}
  {{- with $p.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  replicas: {{ $p.replicas }}
  sandboxTemplateRef:
    name: {{ $p.name }}
{{- end }}
{{- end }}
{{- end -}}
