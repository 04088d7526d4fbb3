/**
 * The {@code agent-sandbox} command line ({@code bin/agent-sandbox}), on picocli and {@link
 * io.agentsandbox.client}: {@code pools}, {@code claim}, {@code exec}, {@code cp}, {@code release},
 * {@code run}, {@code completion}.
 */
package io.agentsandbox.cli;
