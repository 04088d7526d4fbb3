module agentsandbox.io/agent

go 1.19
