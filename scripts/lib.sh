# Shell helpers shared by the project's scripts; source it from the repository root: . scripts/lib.sh

# A free loopback TCP port below the ephemeral range (32768-60999), so no outgoing connection
# holds it; exits 1 when 100 draws find none.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free loopback port found" >&2
  exit 1
}
