package main

import (
	"bytes"
	"fmt"
	"os"
	"time"
)

// Config is the agent's configuration; see the flags in main.go for each field's meaning.
type Config struct {
	Listen           []string
	Workspace        string
	SecretFile       string
	SecretEnv        string
	Secret           []byte
	AllowOpenTCP     bool
	SocketMode       os.FileMode
	MaxBodyBytes     int64
	MaxFileBytes     int64
	MaxOutputBytes   int
	MaxExecs         int
	DefaultTimeout   time.Duration
	MaxTimeout       time.Duration
	ExecuteTimeout   time.Duration
	HeaderTimeout    time.Duration
	BodyIdleTimeout  time.Duration
	BodyTimeout      time.Duration
	WriteIdleTimeout time.Duration
	IdleTimeout      time.Duration
	MaxHeaderBytes   int
	Stay             bool
	InstallTo        string
}

// DefaultConfig holds the defaults of every flag.
func DefaultConfig() Config {
	return Config{
		Workspace:        "/workspace",
		SecretEnv:        "AGENT_SANDBOX_SECRET",
		SocketMode:       0o600,
		MaxBodyBytes:     16 << 20,
		MaxFileBytes:     256 << 20,
		MaxOutputBytes:   16 << 20,
		MaxExecs:         64,
		DefaultTimeout:   30 * time.Second,
		MaxTimeout:       time.Hour,
		ExecuteTimeout:   10 * time.Minute,
		HeaderTimeout:    10 * time.Second,
		BodyIdleTimeout:  30 * time.Second,
		BodyTimeout:      10 * time.Minute,
		WriteIdleTimeout: 60 * time.Second,
		IdleTimeout:      2 * time.Minute,
		MaxHeaderBytes:   64 << 10,
	}
}

// LoadSecret reads the secret from --secret-file, else from the environment variable (which is then
// removed, so commands run by the agent do not see it).
func (c *Config) LoadSecret() error {
	if c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return fmt.Errorf("--secret-file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return fmt.Errorf("--secret-file %s is empty", c.SecretFile)
		}
		c.Secret = b
	} else if c.SecretEnv != "" {
		if v, ok := os.LookupEnv(c.SecretEnv); ok {
			if len(bytes.TrimSpace([]byte(v))) == 0 {
				return fmt.Errorf("$%s is set but empty", c.SecretEnv)
			}
			c.Secret = bytes.TrimSpace([]byte(v))
		}
	}
	if c.SecretEnv != "" {
		_ = os.Unsetenv(c.SecretEnv)
	}
	return nil
}
