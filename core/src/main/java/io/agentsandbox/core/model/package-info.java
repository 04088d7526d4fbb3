/** Immutable value types shared by every module: pool keys, sandbox references, claims, exec requests and results, agent endpoints. No framework types. */
package io.agentsandbox.core.model;
