using System.Runtime.CompilerServices;

// The retry pipeline's tests drive it with fake time and a fixed random draw.
[assembly: InternalsVisibleTo("OrleansMount.Tests")]
