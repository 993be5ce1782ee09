using System.Runtime.CompilerServices;

// Unit tests of the mount's internals (the inode table) without a kernel.
[assembly: InternalsVisibleTo("OrleansMount.Tests")]
