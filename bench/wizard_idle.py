"""The wizard at rest: time to first frame, time until the sandbox's data is on screen, memory
(RSS) and CPU while nothing happens, and what mouse motion costs.

    python3 wizard_idle.py PATH_TO_ECSIMG [IDLE_SECONDS]

Runs `ecsimg --sandbox` in a 120x40 pseudo-terminal (its controlling terminal, as in a real
terminal emulator) with HOME and the XDG directories in a temp dir, reads everything it draws
(answering the cursor-position and device-attribute queries a terminal emulator answers), then
leaves it alone for IDLE_SECONDS (default 10) and reads utime+stime from /proc/PID/stat
before and after. Also counts the bytes drawn while idle: a UI that redraws in a loop shows up
there even when each redraw is cheap. Then lists the mouse modes the wizard asked for (1002 and
1003 would make the terminal report pointer motion), sends 1,000 motion reports anyway and
counts the bytes drawn in answer. Prints one `name value` line per figure.
"""

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROWS, COLS = 40, 120
MOTION_EVENTS = 1000
FIRST_FRAME = "1 Source"  # the step bar, drawn on every frame
DATA = "web-server-01"  # an instance of the sandbox's seed data
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def text_of(raw):
    return ESCAPES.sub(b"", raw).decode("utf-8", "replace")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    binary = sys.argv[1]
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    home = tempfile.mkdtemp()
    env = {
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_DATA_HOME": f"{home}/data",
        "XDG_STATE_HOME": f"{home}/state",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }

    def controlling_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    started = time.monotonic()
    child = subprocess.Popen(
        [binary, "--sandbox"], stdin=slave, stdout=slave, stderr=slave, env=env,
        preexec_fn=controlling_terminal, close_fds=True,
    )
    os.close(slave)
    drawn = b""
    marks = {}

    def read_for(seconds, until=None):
        nonlocal drawn
        deadline = time.monotonic() + seconds
        count = 0
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            count += len(chunk)
            drawn += chunk
            # Answer the queries a terminal emulator answers: cursor position, device attributes.
            if b"\x1b[6n" in chunk:
                os.write(master, b"\x1b[1;1R")
            if b"\x1b[c" in chunk:
                os.write(master, b"\x1b[?62;22c")
            now = time.monotonic() - started
            shown = text_of(drawn)
            if "first_frame" not in marks and FIRST_FRAME in shown:
                marks["first_frame"] = now
            if "data_shown" not in marks and DATA in shown:
                marks["data_shown"] = now
            if until and until in marks:
                return count
        return count

    read_for(15, until="data_shown")
    if "data_shown" not in marks:
        child.kill()
        sys.exit(f"the wizard did not show the sandbox data; it drew:\n{text_of(drawn)[-2000:]}")
    read_for(1.0)  # let the last loads and the spinner settle
    rss_start = rss_kib(child.pid)
    ticks_start = cpu_ticks(child.pid)
    idle_started = time.monotonic()
    idle_bytes = read_for(idle)
    idle_elapsed = time.monotonic() - idle_started
    ticks = cpu_ticks(child.pid) - ticks_start
    rss_end = rss_kib(child.pid)
    modes = sorted(set(re.findall(rb"\x1b\[\?(1000|1002|1003|1006)h", drawn)))
    for i in range(MOTION_EVENTS):  # SGR: button 35 = motion with no button pressed
        os.write(master, f"\x1b[<35;{1 + i % COLS};{1 + i % ROWS}M".encode())
    motion_bytes = read_for(1.0)
    os.write(master, b"\x03")  # Ctrl-C: quit
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=5)
    hz = os.sysconf("SC_CLK_TCK")
    print(f"first_frame_ms {marks['first_frame'] * 1000:.0f}")
    print(f"data_shown_ms {marks['data_shown'] * 1000:.0f}")
    print(f"rss_at_rest_mib {rss_start / 1024:.1f}")
    print(f"rss_after_idle_mib {rss_end / 1024:.1f}")
    print(f"idle_seconds {idle_elapsed:.1f}")
    print(f"idle_cpu_ticks {ticks} (1 tick = {1000 // hz} ms)")
    print(f"idle_cpu_percent {ticks / hz / idle_elapsed * 100:.2f}")
    print(f"idle_bytes_drawn {idle_bytes}")
    print(f"mouse_modes {' '.join('?' + m.decode() for m in modes)}")
    print(f"motion_events {MOTION_EVENTS}")
    print(f"motion_bytes_drawn {motion_bytes}")
    print(f"exit_code {child.returncode}")


main()
