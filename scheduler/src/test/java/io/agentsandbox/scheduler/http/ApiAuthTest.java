package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.port.TokenVerifier;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API token table: file format, tenants, reload on change, bad files. */
class ApiAuthTest {

  @TempDir Path dir;

  @Test
  void shouldMapTokensToTenantsAndBareTokensToDefault() throws Exception {
    Path f = dir.resolve("tokens");
    Files.writeString(
        f,
        "# comment\n\n  tok-alice   alice  \nbare-token\nbad line with three\ntok-bob bob\ninvalid-tenant a/b\n");
    ApiAuth auth = ApiAuth.fromFile(f);
    assertThat(auth.enabled()).isTrue();
    assertThat(auth.size()).isEqualTo(3);
    assertThat(auth.tenantOf("tok-alice")).isEqualTo("alice");
    assertThat(auth.tenantOf("tok-bob")).isEqualTo("bob");
    assertThat(auth.tenantOf("bare-token")).isEqualTo("default");
    assertThat(auth.tenantOf("tok-alic")).isNull();
    assertThat(auth.tenantOf("tok-alice ")).isNull();
    assertThat(auth.tenantOf("")).isNull();
    assertThat(auth.tenantOf(null)).isNull();
    assertThat(auth.tenantOf("x".repeat(10_000))).isNull();
    assertThat(auth.tenantOf("bad")).isNull();
  }

  @Test
  void shouldReloadWhenTheFileChangesAndKeepTheOldTableWhenItVanishes() throws Exception {
    Path f = dir.resolve("tokens");
    Files.writeString(f, "one alice\n");
    ApiAuth auth = ApiAuth.fromFile(f);
    assertThat(auth.reloadIfChanged()).as("unchanged file").isFalse();
    Files.writeString(f, "two bob\n");
    Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(auth.reloadIfChanged()).isTrue();
    assertThat(auth.tenantOf("one")).isNull();
    assertThat(auth.tenantOf("two")).isEqualTo("bob");
    Files.delete(f);
    assertThat(auth.reloadIfChanged()).isFalse();
    assertThat(auth.tenantOf("two")).as("old table kept").isEqualTo("bob");
  }

  @Test
  void shouldBeDisabledWhenNone() {
    ApiAuth none = ApiAuth.none();
    assertThat(none.enabled()).isFalse();
    assertThat(none.tenantOf("anything")).isNull();
    assertThat(none.reloadIfChanged()).isFalse();
  }

  @Test
  void shouldAnswerRemoteVerdictsAndFailuresOnTheCallersContext() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ApiAuth auth =
          ApiAuth.remoteOnly(
              token ->
                  token.equals("down")
                      ? CompletableFuture.failedFuture(new IllegalStateException("down"))
                      : CompletableFuture.supplyAsync(
                          () ->
                              token.equals("good")
                                  ? TokenVerifier.Verdict.authenticated("alice")
                                  : TokenVerifier.Verdict.rejected("unknown"),
                          ForkJoinPool.commonPool()));
      Context ctx = vertx.getOrCreateContext();
      for (String token : new String[] {"good", "bad", "down"}) {
        CompletableFuture<String> seen = new CompletableFuture<>();
        ctx.runOnContext(
            v ->
                auth.verifyRemotely(
                    ctx,
                    token,
                    (verdict, failure) -> {
                      boolean onContext = Vertx.currentContext() == ctx;
                      seen.complete(
                          onContext
                              + " "
                              + (failure != null
                                  ? "failed"
                                  : verdict.isAuthenticated() ? verdict.tenant() : "rejected"));
                    }));
        String expected =
            switch (token) {
              case "good" -> "true alice";
              case "bad" -> "true rejected";
              default -> "true failed";
            };
        assertThat(seen.get(10, TimeUnit.SECONDS)).as(token).isEqualTo(expected);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
