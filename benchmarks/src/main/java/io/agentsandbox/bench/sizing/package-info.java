/**
 * Offline evaluation of warm-pool sizing: a simulator replays a claim trace against a pool's sizing
 * policy. Single-threaded: a simulation and its trace belong to the thread that runs it.
 */
package io.agentsandbox.bench.sizing;
