using System.Runtime.CompilerServices;

// The ABI tests assert the sizes and offsets of the internal native structs.
[assembly: InternalsVisibleTo("OrleansMount.Tests")]
