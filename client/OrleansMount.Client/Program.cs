System.Console.WriteLine("client");
