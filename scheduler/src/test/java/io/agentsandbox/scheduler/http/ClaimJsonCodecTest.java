package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The streaming decode and the direct encode of the claim edge, field by field. */
class ClaimJsonCodecTest {

  private final ClaimJsonCodec codec =
      new ClaimJsonCodec(Main.parseConfig("--backend", "simulated"), new PoolCatalog(List.of()));

  private ClaimRequest decode(String body) {
    return codec.decodeClaim(Buffer.buffer(body), null, "cl-0-x", 7);
  }

  @Test
  void shouldDecodeEveryFieldInOnePass() {
    ClaimRequest r =
        decode(
            "{\"pool\":\"team/py\",\"tenant\":\"t1\",\"priority\":-5,\"waitMs\":250,"
                + "\"onEmpty\":\"cold\",\"ttlSeconds\":60}");
    assertThat(r.pool()).isEqualTo(new PoolKey("team", "py"));
    assertThat(r.tenant()).isEqualTo("t1");
    assertThat(r.priority()).isEqualTo(-5);
    assertThat(r.waitNs()).isEqualTo(250_000_000L);
    assertThat(r.onEmpty()).isEqualTo(OnEmpty.COLD);
    assertThat(r.ttlNs()).isEqualTo(60_000_000_000L);
    assertThat(r.receivedAtNs()).isEqualTo(7);
    assertThat(decode("{\"pool\":\"py\",\"pool\":\"py2\",\"tenant\":null}").pool().name())
        .as("the last duplicate wins; null is absent")
        .isEqualTo("py2");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|body|required: a JSON object",
        "[1]|body|must be a JSON object",
        "\"x\"|body|must be a JSON object",
        "{\"pool\":\"py\"}x|body|not valid JSON",
        "{\"pool\":\"py\"|body|not valid JSON",
        "{\"pool\":\"py\",\"nested\":{\"a\":[1,{}]}}|nested|unknown field",
        "{\"pool\":5}|pool|must be a string",
        "{\"pool\":\"\"}|pool|must not be empty",
        "{\"pool\":\"py\",\"waitMs\":\"5\"}|waitMs|must be an integer, not a string",
        "{\"pool\":\"py\",\"waitMs\":1.5}|waitMs|must be an integer between",
        "{\"pool\":\"py\",\"waitMs\":[]}|waitMs|must be an integer, not an array",
        "{\"pool\":\"py\",\"priority\":{}}|priority|must be an integer, not an object",
        "{\"pool\":\"py\",\"ttlSeconds\":true}|ttlSeconds|must be an integer, not a boolean",
        "{\"pool\":\"py\",\"priority\":99999999999999999999}|priority|must be an integer between",
        "{\"pool\":\"ns/py\",\"namespace\":null}|pool|has a namespace/ prefix and a namespace field",
        "{\"onEmpty\":\"later\",\"pool\":\"py\"}|onEmpty|must be one of wait, cold, reject",
        "{}|pool|required"
      })
  void shouldNameTheFieldOfEveryBadBody(String body, String field, String message) {
    assertThatThrownBy(() -> decode(body))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.field()).isEqualTo(field))
        .hasMessageContaining(message);
  }

  @Test
  void shouldEncodeThe201AsTheTreeDidPlusTheToken() {
    ClaimRequest r =
        new ClaimRequest(
            "cl-1-abc",
            new PoolKey("default", "py"),
            "t1",
            3,
            OnEmpty.WAIT,
            10_000_000_000L,
            3_600_000_000_000L,
            0);
    SandboxRef s =
        new SandboxRef(
            "py-x1", r.pool(), RuntimeClass.of("gvisor"), List.of("10.0.0.7"), "simulated");
    ClaimOutcome.Assigned a =
        new ClaimOutcome.Assigned("cl-1-abc", s, LaunchType.WARM, 1_234_567, 0);
    JsonObject direct = new JsonObject(codec.encodeBoundBody(r, a, 0, "tok"));
    JsonObject tree = codec.encodeBound(r, a, 0).put("token", "tok");
    assertThat(direct).isEqualTo(tree);
    assertThat(direct.fieldNames()).containsExactlyElementsOf(tree.fieldNames());
    assertThat(direct.getDouble("waitedMs")).isEqualTo(1.234567);
    assertThat(direct.getJsonObject("sandbox").getBoolean("simulated")).isTrue();
  }
}
