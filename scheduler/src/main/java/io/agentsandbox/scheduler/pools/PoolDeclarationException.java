package io.agentsandbox.scheduler.pools;

/** A pool declaration is invalid; the message names the file, the object and the field. */
public final class PoolDeclarationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PoolDeclarationException(String message) {
    super(message);
  }
}
