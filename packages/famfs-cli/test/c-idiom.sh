#!/usr/bin/env bash
#
# A famfs session written the way the C famfs' smoke tests write them (smoke/test0.sh,
# scripts/test_funcs.sh): the same commands, options and checks, run unchanged against famfs-ts.
# c-idiom.test.ts runs it as root on a file-backed device.
#
# Usage: c-idiom.sh DEV MPT   (CLI, MKFS and FAMFS_* come from the environment)

fail () {
    echo "FAIL: $*" >&2
    exit 1
}

expect_good () {
    local msg="${*: -1}"
    "${@:1:$#-2}" || fail "$msg"
}

expect_fail () {
    local msg="${*: -1}"
    "${@:1:$#-2}" && fail "$msg"
    return 0
}

DEV=${1:?DEV}
MPT=${2:?MPT}
CLI=${CLI:-famfs}
MKFS=${MKFS:-mkfs.famfs}
set -x

expect_good ${MKFS} $DEV                                -- "mkfs failed"
expect_good ${CLI} fsck $DEV                            -- "fsck of a fresh device failed"
expect_good ${CLI} mount -v $DEV $MPT                   -- "mount -v failed"
grep -q "$MPT fuse" /proc/mounts                        || fail "not mounted"

# Files filled with the test-data stream, then checked with the seed.
expect_good ${CLI} creat -t0 -r -S 1 -s2m $MPT/test1    -- "creat test1"
expect_good ${CLI} creat -r -S 2 -s 4m $MPT/test2       -- "creat test2"
expect_good ${CLI} verify -S 1 -f $MPT/test1            -- "verify test1"
expect_fail ${CLI} verify -S 2 -f $MPT/test1            -- "verify test1 with the wrong seed"
expect_good ${CLI} creat -M $MPT/test2,0,3              -- "refill test2 with seed 3"
expect_good ${CLI} verify -m $MPT/test1,1 -m $MPT/test2,3 -- "verify -m"

# Directories: -p on the mount point and on what exists is fine.
expect_good ${CLI} mkdir -p $MPT                        -- "mkdir -p of the mount point"
expect_good ${CLI} mkdir -pv $MPT/subdir/a/b            -- "mkdir -pv"
expect_good ${CLI} mkdir -p $MPT/subdir                 -- "mkdir -p of an existing dir"
expect_fail ${CLI} mkdir $MPT/subdir                    -- "mkdir of an existing dir"

# Copies in, chatty.
SRC=$(mktemp -d)
dd if=/dev/urandom of=$SRC/file1 bs=1k count=100 status=none
dd if=/dev/urandom of=$SRC/file2 bs=1k count=3000 status=none
expect_good ${CLI} cp -vvv $SRC/file1 $SRC/file2 $MPT/subdir -- "cp -vvv"
expect_good cmp $SRC/file1 $MPT/subdir/file1            -- "file1 differs"
expect_good ${CLI} cp -c $SRC/file2 $MPT/subdir/file2   -- "cp -c"
expect_good ${CLI} cp -r $SRC $MPT/srcdir               -- "cp -r"
rm -rf $SRC

# Replays, checks, maps.
expect_good ${CLI} logplay -rc $MPT                     -- "logplay -rc"
expect_good ${CLI} logplay -n $MPT                      -- "logplay -n"
SHADOW=$(mktemp -d)
mkdir $SHADOW/root
expect_good ${CLI} logplay --shadow $SHADOW --shadowtest $MPT -- "logplay --shadow DIR MPT"
test -f $SHADOW/root/subdir/file1                       || fail "logplay --shadow made no file1"
rm -rf $SHADOW
expect_good ${CLI} fsck -m $MPT                         -- "fsck -m"
expect_good ${CLI} fsck -vh $MPT                        -- "fsck -vh"
expect_fail ${CLI} fsck -mr $MPT                        -- "fsck -m -r"
expect_good ${CLI} getmap -q $MPT/test1                 -- "getmap -q"
expect_good ${CLI} check $MPT                           -- "check"
expect_good ${CLI} verify -S 1 -f $MPT/test1            -- "verify after logplay"

# Remount (MS_REMOUNT of the v1 module in the C famfs): the mount stays, up to date.
expect_good ${CLI} mount -R $DEV $MPT                   -- "mount -R"
expect_good ${CLI} verify -S 1 -f $MPT/test1            -- "verify after mount -R"

# The daemon's diagnostics socket, found the way the C scripts find it.
if command -v curl >/dev/null && command -v getfattr >/dev/null; then
    SHADOWPATH=$(getfattr -n user.famfs.shadow --only-values $MPT 2>/dev/null)
    STATS=$(curl -s --unix-socket $SHADOWPATH/sock http://localhost/icache_stats) || fail "curl icache_stats"
    echo "$STATS" | grep -q "^icache_stats:"            || fail "icache_stats body: $STATS"
else
    echo "SKIP: curl or getfattr missing: no icache_stats check"
fi

expect_good umount $MPT                                 -- "umount"
grep -q "$MPT fuse" /proc/mounts                        && fail "still mounted"
expect_good ${CLI} fsck $DEV                            -- "fsck after umount"
set +x
echo "c-idiom: all good"
